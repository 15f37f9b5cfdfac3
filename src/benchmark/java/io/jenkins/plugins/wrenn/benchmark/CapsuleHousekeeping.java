package io.jenkins.plugins.wrenn.benchmark;

import io.jenkins.plugins.wrenn.api.CapsuleSpec;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.Command;
import io.jenkins.plugins.wrenn.exec.DurableExecution;
import io.jenkins.plugins.wrenn.exec.ExecOutcome;
import io.jenkins.plugins.wrenn.exec.ExecutionSpec;
import io.jenkins.plugins.wrenn.exec.StderrMarker;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLifecycle;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import io.jenkins.plugins.wrenn.ownership.CapsuleLedger;
import io.jenkins.plugins.wrenn.ownership.CapsuleSweeper;
import io.jenkins.plugins.wrenn.ownership.Group;
import io.jenkins.plugins.wrenn.ownership.LedgerRecords;
import io.jenkins.plugins.wrenn.ownership.OwnerTag;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The cost of the capsule housekeeping: a whole {@code wrennCapsule} block (create, wait, one
 * command, give back) with the read of its metrics against the same block without it; and one
 * sweep of many owned capsules whose builds are over.
 */
final class CapsuleHousekeeping {

    private static final String KEY = "wrn_benchmark_housekeeping";

    /** A block with the metrics read and without, one sample of each a round. */
    record BlockResult(Samples withUsage, Samples withoutUsage) {}

    private CapsuleHousekeeping() {}

    static BlockResult blocks(int rounds) throws Exception {
        Samples with = new Samples();
        Samples without = new Samples();
        try (WrennTestServer server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
                WrennClient client = WrennClient.builder(server.baseUrl(), KEY).build();
                DurableExecution engine = new DurableExecution(
                        client, KEY, DurableExecution.DEFAULT_KILL_GRACE, null, StderrMarker.NONE)) {
            CapsuleLifecycle measured = CapsuleLifecycle.withDefaults(client, null);
            CapsuleLifecycle reference = measured.withoutUsage();
            PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
            // A warm-up round of each, then measured rounds, alternating which goes first.
            for (int round = 0; round <= rounds; round++) {
                double w;
                double wo;
                if (round % 2 == 0) {
                    w = block(measured, engine, discard);
                    wo = block(reference, engine, discard);
                } else {
                    wo = block(reference, engine, discard);
                    w = block(measured, engine, discard);
                }
                if (round > 0) {
                    with.add(w);
                    without.add(wo);
                }
            }
        }
        return new BlockResult(with, without);
    }

    private static double block(CapsuleLifecycle lifecycle, DurableExecution engine, PrintStream log) throws Exception {
        long t0 = System.nanoTime();
        CapsuleLease lease =
                lifecycle.acquire(new CapsuleOptions("base", 0, 0, 0, 60, KeepPolicy.NEVER, null, false, false), log);
        ExecOutcome out = engine.start(
                        ExecutionSpec.of(lease.capsuleId(), Command.program("echo", List.of("in the block"))),
                        CommandOutput.of(OutputStream.nullOutputStream()),
                        null)
                .outcome()
                .get(30, TimeUnit.SECONDS);
        if (out.exitCode() != 0) {
            throw new IllegalStateException("echo failed: " + out);
        }
        lifecycle.release(lease, log);
        return (System.nanoTime() - t0) / 1e6;
    }

    /** Milliseconds of one sweep pass over this many owned capsules of builds that are over. */
    static double sweep(int capsules) throws Exception {
        Path home = Files.createTempDirectory("wrenn-benchmark-ledger");
        try (WrennTestServer server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
                WrennClient client = WrennClient.builder(server.baseUrl(), KEY).build()) {
            CapsuleLedger ledger = new CapsuleLedger(home.resolve("capsules.json"));
            Group group = new Group(server.baseUrl().toString(), "wrenn-key");
            String instance = "benchmark-instance";
            for (int i = 0; i < capsules; i++) {
                LedgerRecords records = new LedgerRecords(
                        ledger,
                        new OwnerTag(instance, "app", i + 1, "r-" + i),
                        group,
                        Duration.ofHours(24),
                        Clock.systemUTC());
                records.creating();
                records.created(client.capsules()
                        .create(new CapsuleSpec("base", 0, 0, 0, records.labels()))
                        .id());
            }
            CapsuleSweeper sweeper = new CapsuleSweeper(
                    ledger,
                    instance,
                    g -> WrennClient.builder(URI.create(g.apiUrl()), KEY).build(),
                    (job, build) -> CapsuleSweeper.BuildState.OVER,
                    Clock.systemUTC());
            long t0 = System.nanoTime();
            List<CapsuleSweeper.Action> actions = sweeper.sweep(List.of(group));
            double ms = (System.nanoTime() - t0) / 1e6;
            long destroyed = actions.stream()
                    .filter(a -> a.kind() == CapsuleSweeper.Kind.DESTROYED)
                    .count();
            if (destroyed != capsules) {
                throw new IllegalStateException("the sweep destroyed " + destroyed + " of " + capsules);
            }
            return ms;
        } finally {
            try (Stream<Path> files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
