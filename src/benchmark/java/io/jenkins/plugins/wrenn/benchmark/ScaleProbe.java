package io.jenkins.plugins.wrenn.benchmark;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.Command;
import io.jenkins.plugins.wrenn.exec.DurableExecution;
import io.jenkins.plugins.wrenn.exec.DurableRun;
import io.jenkins.plugins.wrenn.exec.ExecOutcome;
import io.jenkins.plugins.wrenn.exec.ExecutionSpec;
import io.jenkins.plugins.wrenn.exec.StderrMarker;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs in a child JVM, so that its heap and threads are the client side's alone (the test server
 * stays in the parent): starts many durable runs that wait at a FIFO, driven as the Pipeline step
 * drives them, measures the platform threads and the live heap they add while all wait, then
 * releases them and checks every log and exit code.
 * Usage: ScaleProbe BASE_URL KEY CAPSULE FIFO RUNS. Prints
 * {@code RESULT <threads added> <heap bytes added> <intact runs> <seconds to start all>} and a
 * {@code THREADS} line naming the added threads.
 */
public final class ScaleProbe {

    public static void main(String[] args) throws Exception {
        URI base = URI.create(args[0]);
        String key = args[1];
        String capsule = args[2];
        String barrier = args[3];
        int runs = Integer.parseInt(args[4]);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();
        Map<String, Long> threadsBefore = platformThreads();
        // While the test server, on the same cores, spawns a thousand processes, it answers
        // upgrades more slowly than the plugin's default connect timeout allows.
        try (WrennClient client = WrennClient.builder(base, key)
                        .connectTimeout(Duration.ofSeconds(120))
                        .build();
                DurableExecution durable =
                        new DurableExecution(client, key, Duration.ofSeconds(5), null, StderrMarker.NONE)) {
            List<DurableRun> started = new ArrayList<>();
            List<ByteArrayOutputStream> logs = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < runs; i++) {
                ByteArrayOutputStream log = new ByteArrayOutputStream();
                logs.add(log);
                started.add(durable.start(
                        ExecutionSpec.of(
                                capsule,
                                Command.shell("echo start-" + i + "; read x < " + barrier + "; echo end-" + i)),
                        log,
                        null));
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            for (int i = 0; i < runs; i++) {
                while (!logs.get(i).toString(StandardCharsets.UTF_8).contains("start-" + i + "\n")) {
                    CompletableFuture<ExecOutcome> outcome = started.get(i).outcome();
                    if (outcome.isDone()) {
                        throw new IllegalStateException("run " + i + " ended early: "
                                + (outcome.isCompletedExceptionally()
                                        ? outcome.exceptionNow().getMessage()
                                        : outcome.resultNow()));
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("run " + i + " did not start within 5 minutes");
                    }
                    Thread.sleep(20);
                }
            }
            double startSeconds = (System.nanoTime() - t0) / 1e9;
            System.gc();
            long heapWaiting = memory.getHeapMemoryUsage().getUsed();
            Map<String, Long> threadsWaiting = platformThreads();
            // Every reader is blocked opening the FIFO; opening it for writing lets all of them through.
            try (OutputStream release = new FileOutputStream(barrier)) {
                Thread.sleep(2000);
            }
            int intact = 0;
            for (int i = 0; i < runs; i++) {
                ExecOutcome out = started.get(i).outcome().get(5, TimeUnit.MINUTES);
                String text = logs.get(i).toString(StandardCharsets.UTF_8);
                if (out.exitCode() == 0
                        && text.indexOf("start-" + i + "\n") == text.lastIndexOf("start-" + i + "\n")
                        && text.contains("\nend-" + i + "\n")
                        && text.indexOf("end-" + i + "\n") == text.lastIndexOf("end-" + i + "\n")) {
                    intact++;
                }
            }
            Map<String, Long> added = new TreeMap<>(threadsWaiting);
            threadsBefore.forEach((name, n) -> added.merge(name, -n, Long::sum));
            added.values().removeIf(n -> n == 0);
            long threadsAdded = count(threadsWaiting) - count(threadsBefore);
            System.out.println("RESULT " + threadsAdded + " " + (heapWaiting - heapBefore) + " " + intact + " "
                    + String.format("%.1f", startSeconds));
            System.out.println("THREADS " + added);
        }
    }

    /** Live platform threads by name, digits as N. */
    private static Map<String, Long> platformThreads() {
        Map<String, Long> counts = new TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!t.isVirtual()) {
                counts.merge(t.getName().replaceAll("\\d+", "N"), 1L, Long::sum);
            }
        }
        return counts;
    }

    private static long count(Map<String, Long> threads) {
        return threads.values().stream().mapToLong(Long::longValue).sum();
    }
}
