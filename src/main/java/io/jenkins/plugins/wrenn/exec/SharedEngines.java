package io.jenkins.plugins.wrenn.exec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Supplier;

/**
 * Durable engines shared by key (an API URL, key and timeouts), each with a client of its own. An
 * engine holds platform threads (its client's selector and keep-alive timer, its own timer), so
 * one that has had no run and nothing to clean up for {@link #idleTime()} is closed together with
 * its client; the next use of its key makes a new one. Runs resumed after a restart need no old
 * engine: their state is saved.
 *
 * <p>Callers use an engine at once ({@link DurableExecution#start}, {@code resume} or
 * {@code stopLeftOver}); from then on the run keeps it in use. An engine handed out counts as in
 * use for the idle time too.
 */
public final class SharedEngines {

    private final Duration idleTime;
    private final Duration checkEvery;
    /** Guarded by {@code this}. */
    private final Map<String, Shared> engines = new HashMap<>();

    /** An engine, when it was last handed out, and its idle check. */
    private static final class Shared {
        final DurableExecution engine;
        /** Guarded by the {@link SharedEngines}. */
        long handedOut = System.nanoTime();
        /** Guarded by the {@link SharedEngines}. */
        ScheduledFuture<?> check;

        Shared(DurableExecution engine) {
            this.engine = engine;
        }
    }

    /**
     * @param idleTime how long an engine may have nothing to do before it is closed
     */
    public SharedEngines(Duration idleTime) {
        this.idleTime = idleTime;
        this.checkEvery = idleTime.dividedBy(2);
    }

    /** How long an engine may have nothing to do before it is closed. */
    public Duration idleTime() {
        return idleTime;
    }

    /**
     * The engine for this key, made with {@code create} (whose client it owns: closing the engine
     * closes it) when there is none.
     */
    public synchronized DurableExecution get(String key, Supplier<DurableExecution> create) {
        Shared shared = engines.get(key);
        if (shared == null) {
            Shared made = new Shared(create.get());
            engines.put(key, made);
            made.check = made.engine.scheduleEvery(() -> closeIfIdle(key, made), checkEvery);
            shared = made;
        }
        shared.handedOut = System.nanoTime();
        return shared.engine;
    }

    /** How many engines are open, for tests and diagnostics. */
    public synchronized int size() {
        return engines.size();
    }

    private void closeIfIdle(String key, Shared shared) {
        ScheduledFuture<?> check;
        synchronized (this) {
            if (engines.get(key) != shared
                    || System.nanoTime() - shared.handedOut < idleTime.toNanos()
                    || !shared.engine.idleFor(idleTime)) {
                return;
            }
            engines.remove(key);
            check = shared.check;
        }
        check.cancel(false);
        // Not on the engine's own timer, which closing shuts down.
        Thread.ofVirtual().name("Wrenn engine release").start(() -> {
            shared.engine.close();
            shared.engine.client.close();
        });
    }

    /**
     * Lets go of every engine without ending its runs (see {@link DurableExecution#detach()}), for
     * a Jenkins that shuts down.
     */
    public void detachAll() {
        List<Shared> all;
        synchronized (this) {
            all = new ArrayList<>(engines.values());
            engines.clear();
        }
        for (Shared shared : all) {
            shared.engine.detach();
        }
    }
}
