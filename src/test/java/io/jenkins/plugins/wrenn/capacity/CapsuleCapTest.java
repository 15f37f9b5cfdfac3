package io.jenkins.plugins.wrenn.capacity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLifecycle;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The cap with real capsules: N + 1 blocks at once, the last waits for a slot and then runs. */
class CapsuleCapTest {

    static final String KEY = "wrn_test_cap_0123456789";

    @Test
    void theBlockAboveTheLimitWaitsWithoutAThreadThenRuns() throws Exception {
        ExecutorService lifecycleThreads = Executors.newCachedThreadPool();
        try (WrennTestServer server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
                WrennClient client = WrennClient.builder(server.baseUrl(), KEY).build()) {
            server.setTransitionDelay(Duration.ofMillis(100));
            CapsuleLifecycle lifecycle =
                    new CapsuleLifecycle(client, null, Duration.ofMillis(20), Duration.ofMillis(20), 3);
            PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
            CapsuleSlots slots = new CapsuleSlots(2);
            AtomicInteger atOnce = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            CountDownLatch letGo = new CountDownLatch(1);
            List<String> order = new CopyOnWriteArrayList<>();
            List<String> waitLines = new CopyOnWriteArrayList<>();
            List<CompletableFuture<Void>> blocks = new ArrayList<>();
            for (String build : List.of("b1", "b2", "b3")) {
                CapsuleSlots.Request ask = slots.request(build);
                if (ask.mustWait()) {
                    waitLines.add(ask.waitLine());
                }
                // As wrennCapsule does: nothing runs until the slot is granted, then on a lifecycle thread.
                blocks.add(ask.granted()
                        .thenRunAsync(
                                () -> {
                                    try {
                                        CapsuleLease lease = lifecycle.acquire(
                                                new CapsuleOptions(
                                                        "base", 0, 0, 0, 10, KeepPolicy.NEVER, null, false, false),
                                                discard);
                                        most.accumulateAndGet(atOnce.incrementAndGet(), Math::max);
                                        order.add(build);
                                        // The first two hold their capsules until the third is seen waiting.
                                        letGo.await(10, TimeUnit.SECONDS);
                                        atOnce.decrementAndGet();
                                        lifecycle.release(lease, discard);
                                    } catch (Exception e) {
                                        throw new IllegalStateException(e);
                                    } finally {
                                        slots.release(build);
                                    }
                                },
                                lifecycleThreads));
            }
            assertEquals(List.of("[wrenn] waiting for a capsule slot: 2 of 2 in use"), waitLines);
            Await.until(() -> order.size() == 2, "b1 and b2 hold their capsules: " + order);
            assertEquals(List.of("b1", "b2"), order.stream().sorted().toList());
            assertEquals(1, slots.waiting(), "b3 waits while both slots are held");
            letGo.countDown();
            CompletableFuture.allOf(blocks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            assertTrue(order.contains("b3"), "then it runs: " + order);
            assertTrue(most.get() <= 2, "never more than 2 capsules at once: " + most.get());
            Await.until(() -> server.capsulesLeft().isEmpty(), "no capsule left: " + server.capsulesLeft());
        } finally {
            lifecycleThreads.shutdownNow();
        }
    }
}
