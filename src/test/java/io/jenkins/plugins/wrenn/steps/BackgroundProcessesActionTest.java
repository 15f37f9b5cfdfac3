package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hudson.model.Saveable;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The build's record of background processes: saved on every change, read as consistent snapshots. */
class BackgroundProcessesActionTest {

    static final class CountingSaves implements Saveable {
        final AtomicInteger saves = new AtomicInteger();

        @Override
        public void save() {
            saves.incrementAndGet();
        }
    }

    static List<Long> pids(List<BackgroundProcessesAction.Entry> entries) {
        return entries.stream().map(BackgroundProcessesAction.Entry::getPid).toList();
    }

    @Test
    void everyChangeSavesTheBuild() {
        BackgroundProcessesAction action = new BackgroundProcessesAction();
        CountingSaves build = new CountingSaves();
        action.attachTo(build);

        action.started("cl-a", 7, "web", "key", false);
        assertEquals(1, build.saves.get());
        action.stopped("cl-a", "web");
        assertEquals(2, build.saves.get());
        // Nothing matched, nothing changed: no save.
        action.stopped("cl-a", "no-such-tag");
        action.stopped("cl-a", "web");
        assertEquals(2, build.saves.get());
    }

    @Test
    void leftOverSkipsStoppedAndKeptProcesses() {
        BackgroundProcessesAction action = new BackgroundProcessesAction();
        action.started("cl-a", 1, "web", "key", false);
        action.started("cl-a", 2, "db", "key", true);
        action.started("cl-b", 3, "web", "key", false);
        action.stopped("cl-a", "1");
        assertEquals(List.of(3L), pids(action.leftOver()));
    }

    @Test
    void aListReadBeforeAChangeStaysAsItWas() {
        BackgroundProcessesAction action = new BackgroundProcessesAction();
        action.started("cl-a", 1, "web", "key", false);
        List<BackgroundProcessesAction.Entry> before = action.leftOver();
        action.started("cl-a", 2, "worker", "key", false);
        action.stopped("cl-a", "web");
        assertEquals(List.of(1L), pids(before));
        assertTrue(!before.get(0).isStopped(), "an entry once read never changes");
        assertEquals(List.of(2L), pids(action.leftOver()));
    }

    @Test
    void concurrentChangesAreAllKept() throws Exception {
        BackgroundProcessesAction action = new BackgroundProcessesAction();
        int threads = 8;
        int each = 200;
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int base = t * each;
            workers[t] = new Thread(() -> {
                for (int i = 1; i <= each; i++) {
                    action.started("cl-a", base + i, null, "key", false);
                    action.leftOver().size();
                }
            });
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(threads * each, action.leftOver().size());
    }
}
