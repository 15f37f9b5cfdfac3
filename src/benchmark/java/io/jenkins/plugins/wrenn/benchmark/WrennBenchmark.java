package io.jenkins.plugins.wrenn.benchmark;

import io.jenkins.plugins.wrenn.api.ProcessStream;
import io.jenkins.plugins.wrenn.api.StreamListener;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.CapsuleScripts;
import io.jenkins.plugins.wrenn.exec.Command;
import io.jenkins.plugins.wrenn.exec.DurableExecution;
import io.jenkins.plugins.wrenn.exec.DurableRun;
import io.jenkins.plugins.wrenn.exec.ExecOutcome;
import io.jenkins.plugins.wrenn.exec.ExecutionSpec;
import io.jenkins.plugins.wrenn.exec.StderrMarker;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.CRC32;

/**
 * Measures what users feel, each figure side by side with its reference in the same run and
 * interleaved with it (engine, reference, engine, reference, ...) so that noise from this shared
 * machine hits both alike. Prints medians with their interquartile range and the ratio of medians.
 *
 * <p>Usage: {@code WrennBenchmark [--quick] [--files-only]
 * [--only=latency,throughput,overhead,memory,concurrency,scale,capsule,agents,housekeeping,files]}; {@code --quick} is a
 * smoke run with tiny sizes, {@code --only} runs only the sections named, {@code --files-only} is
 * {@code --only=files}.
 */
public final class WrennBenchmark {

    private static final String KEY = "wrn_benchmark_key";
    private static final StreamListener DISCARD = new StreamListener() {
        @Override
        public void onStdout(String data) {}

        @Override
        public void onStderr(String data) {}
    };
    private static final String LINE = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstu";

    private final boolean quick;
    private final WrennTestServer server;
    private final WrennClient client;
    /** The durable engine, as wrennExec in a Pipeline drives it. */
    private final DurableExecution engine;
    /** Configured as the plugin's client is: HTTP/1.1 on cleartext, events on the reading thread. */
    private final HttpClient bare = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(Runnable::run)
            .build();

    private final String capsule;
    private final Table table = new Table(System.out);
    /** Runs that did not complete intact: the table is still printed, then the run fails. */
    private final List<String> damaged = new ArrayList<>();

    private WrennBenchmark(boolean quick) throws Exception {
        this.quick = quick;
        server = WrennTestServer.start(KEY);
        client = WrennClient.builder(server.baseUrl(), KEY).build();
        engine = new DurableExecution(client, KEY, Duration.ofSeconds(5), null, StderrMarker.NONE);
        capsule = server.createCapsule();
    }

    public static void main(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--quick");
        boolean filesOnly = List.of(args).contains("--files-only");
        WrennBenchmark b = new WrennBenchmark(quick);
        try {
            System.out.printf(
                    "Wrenn benchmark (%s), %d cores, %s%n",
                    quick ? "smoke run" : "full run",
                    Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"));
            Set<String> only = List.of(args).stream()
                    .filter(a -> a.startsWith("--only="))
                    .flatMap(a -> Arrays.stream(a.substring("--only=".length()).split(",")))
                    .collect(Collectors.toCollection(HashSet::new));
            if (filesOnly) {
                only.add("files");
            }
            if (only.isEmpty() || only.contains("latency")) {
                b.latency();
            }
            if (only.isEmpty() || only.contains("throughput")) {
                b.throughput();
            }
            if (only.isEmpty() || only.contains("overhead")) {
                b.overhead();
            }
            if (only.isEmpty() || only.contains("memory")) {
                b.memory();
            }
            if (only.isEmpty() || only.contains("concurrency")) {
                b.concurrency();
            }
            if (only.isEmpty() || only.contains("scale")) {
                b.scale();
            }
            if (only.isEmpty() || only.contains("capsule")) {
                b.capsuleStart();
            }
            if (only.isEmpty() || only.contains("agents")) {
                b.agentStart();
            }
            if (only.isEmpty() || only.contains("housekeeping")) {
                b.housekeeping();
            }
            if (only.isEmpty() || only.contains("files")) {
                b.files();
            }
            b.table.print();
        } finally {
            b.engine.close();
            b.client.close();
            b.server.close();
        }
        if (!b.damaged.isEmpty()) {
            System.err.println("Runs that did not complete intact: " + b.damaged);
            System.exit(1);
        }
    }

    // ---- streaming latency: a line written by the remote process until it reaches the log

    /** Counts arriving lines, recording when each arrived. */
    private static final class LineArrivals extends OutputStream {
        final BlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();

        @Override
        public void write(int b) {
            if (b == '\n') {
                arrivals.add(System.nanoTime());
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }
    }

    private Path fifo(String name) throws Exception {
        Path path = server.workDir(capsule).resolve(name);
        if (new ProcessBuilder("mkfifo", path.toString()).inheritIO().start().waitFor() != 0) {
            throw new IllegalStateException("mkfifo failed");
        }
        return path;
    }

    private void latency() throws Exception {
        System.out.println("streaming latency ...");
        Path engineFifo = fifo("engine.fifo");
        Path bareFifo = fifo("bare.fifo");
        LineArrivals engineLog = new LineArrivals();
        DurableRun engineRun = engine.start(
                ExecutionSpec.of(capsule, Command.program("cat", List.of(engineFifo.toString()))),
                CommandOutput.of(engineLog),
                null);
        BlockingQueue<Long> bareArrivals = new LinkedBlockingQueue<>();
        BareStream bareRun =
                BareStream.start(bare, server.baseUrl(), KEY, capsule, "cat", List.of(bareFifo.toString()), data -> {
                    long now = System.nanoTime();
                    data.chars().filter(c -> c == '\n').forEach(c -> bareArrivals.add(now));
                });
        Samples engineMs = new Samples();
        Samples bareMs = new Samples();
        int warmup = quick ? 20 : 300;
        int rounds = quick ? 50 : 1000;
        try (OutputStream toEngine = new FileOutputStream(engineFifo.toFile());
                OutputStream toBare = new FileOutputStream(bareFifo.toFile())) {
            for (int i = 0; i < warmup + rounds; i++) {
                double e = ping(toEngine, engineLog.arrivals);
                double r = ping(toBare, bareArrivals);
                if (i >= warmup) {
                    engineMs.add(e);
                    bareMs.add(r);
                }
            }
        }
        engineRun.outcome().get(30, TimeUnit.SECONDS);
        bareRun.exit.get(30, TimeUnit.SECONDS);
        double ratio = engineMs.median() / bareMs.median();
        table.target(
                "streaming latency, one line (ms, " + rounds + " lines)",
                engineMs.describe("%.3f"),
                bareMs.describe("%.3f"),
                String.format("%.2fx", ratio),
                "<= 1.5x",
                ratio <= 1.5);
    }

    /** Runs a command through the engine to its end. */
    private ExecOutcome run(ExecutionSpec spec, OutputStream log) throws Exception {
        return engine.start(spec, log, null).outcome().get(10, TimeUnit.MINUTES);
    }

    private static double ping(OutputStream fifo, BlockingQueue<Long> arrivals) throws Exception {
        long t0 = System.nanoTime();
        fifo.write("ping\n".getBytes(StandardCharsets.US_ASCII));
        fifo.flush();
        Long t1 = arrivals.poll(10, TimeUnit.SECONDS);
        if (t1 == null) {
            throw new IllegalStateException("a line did not arrive within 10 s");
        }
        return (t1 - t0) / 1e6;
    }

    // ---- throughput: a large output through the engine into a discarding log

    private String generator(long bytes) {
        return "yes " + LINE + " | head -c " + bytes;
    }

    private static final class Counting extends OutputStream {
        long bytes;

        @Override
        public void write(int b) {
            bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes += len;
        }
    }

    private void throughput() throws Exception {
        long asked = quick ? 16L << 20 : 256L << 20;
        long size = wholeLines(asked);
        System.out.println("streaming throughput, " + Table.mib(asked) + " ...");
        Samples engineRate = new Samples();
        Samples bareRate = new Samples();
        Samples serverRate = new Samples();
        int warmup = 1;
        int rounds = quick ? 1 : 5;
        for (int i = 0; i < warmup + rounds; i++) {
            Counting log = new Counting();
            int streamsBefore = server.streamStats().size();
            long t0 = System.nanoTime();
            run(ExecutionSpec.of(capsule, Command.shell(generator(size))), CommandOutput.of(log));
            double engineSeconds = (System.nanoTime() - t0) / 1e9;
            check(log.bytes == size, "engine received " + log.bytes + " of " + size + " bytes");
            WrennTestServer.StreamStats engineServer = streamEnded(streamsBefore);

            long[] received = {0};
            int bareBefore = server.streamStats().size();
            long t1 = System.nanoTime();
            BareStream s = BareStream.start(
                    bare,
                    server.baseUrl(),
                    KEY,
                    capsule,
                    "/bin/sh",
                    List.of("-c", generator(size)),
                    data -> received[0] += data.length());
            s.exit.get(10, TimeUnit.MINUTES);
            double bareSeconds = (System.nanoTime() - t1) / 1e9;
            check(received[0] == size, "bare client received " + received[0] + " of " + size + " bytes");
            WrennTestServer.StreamStats bareServer = streamEnded(bareBefore);
            if (i >= warmup) {
                engineRate.add(size / engineSeconds / (1 << 20));
                bareRate.add(size / bareSeconds / (1 << 20));
                serverRate.add(engineServer.bytesPerSecond() / (1 << 20));
                serverRate.add(bareServer.bytesPerSecond() / (1 << 20));
            }
        }
        table.target(
                "streaming throughput (MiB/s, " + Table.mib(asked) + " x " + rounds + ")",
                engineRate.describe("%.1f"),
                bareRate.describe("%.1f"),
                engineRate.ratioTo(bareRate),
                ">= 0.7x",
                engineRate.medianRatioTo(bareRate) >= 0.7);
        table.information(
                "  test server's own send rate during those runs (MiB/s)", serverRate.describe("%.1f"), "", "");
    }

    /** The server's statistics of the stream that ended after {@code before} others had. */
    private WrennTestServer.StreamStats streamEnded(int before) throws InterruptedException {
        for (int i = 0; i < 500 && server.streamStats().size() <= before; i++) {
            Thread.sleep(10);
        }
        List<WrennTestServer.StreamStats> all = server.streamStats();
        check(all.size() > before, "the test server did not see the stream end within 5 s");
        return all.get(before);
    }

    // ---- per-command overhead: many short commands one after another

    /** One way of running a short command, timed one command at a time. */
    private interface Run {
        void once() throws Exception;
    }

    /** A way of running a command and its per-command times, one sample a round. */
    private record Timed(Run run, Samples ms) {
        Timed(Run run) {
            this(run, new Samples());
        }
    }

    private void overhead() throws Exception {
        int commands = quick ? 20 : 200;
        int rounds = quick ? 1 : 8;
        System.out.println("per-command overhead, " + commands + " x 'true' ...");
        HttpRequest post = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/capsules/" + capsule + "/exec"))
                .header("X-API-Key", KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"cmd\":\"true\"}"))
                .build();
        Timed engineRun = new Timed(() -> {
            ExecOutcome out =
                    run(ExecutionSpec.of(capsule, Command.program("true", List.of())), OutputStream.nullOutputStream());
            check(out.exitCode() == 0, "engine: true exited " + out.exitCode());
        });
        Timed postRun = new Timed(() -> {
            HttpResponse<String> r = bare.send(post, HttpResponse.BodyHandlers.ofString());
            check(r.statusCode() == 200, "bare POST: HTTP " + r.statusCode());
        });
        Timed clientStreamRun = new Timed(() -> {
            try (ProcessStream s = client.commands().stream(capsule, "true", List.of(), DISCARD)) {
                check(s.exitCode().get(30, TimeUnit.SECONDS) == 0, "client stream: true failed");
            }
        });
        Timed bareStreamRun = new Timed(() -> {
            BareStream s = BareStream.start(bare, server.baseUrl(), KEY, capsule, "true", List.of(), d -> {});
            check(s.exit.get(30, TimeUnit.SECONDS) == 0, "bare stream: true failed");
        });
        // What keeping the output costs in any design that copies it to files while it goes out live:
        // the same bare stream, with `true`'s output through the two `tee` processes the wrapper uses.
        String teePipeline = "{ true 2>&1 1>&3 | tee -a bench.err >&2; } 3>&1 | tee -a bench.out";
        Timed teeStreamRun = new Timed(() -> {
            BareStream s = BareStream.start(
                    bare, server.baseUrl(), KEY, capsule, "/bin/sh", List.of("-c", teePipeline), d -> {});
            check(s.exit.get(30, TimeUnit.SECONDS) == 0, "bare stream through tee: failed");
        });
        // The engine's own floor: the same bare stream of `true` under the engine's wrapper, as the
        // engine sends it (its control files in the capsule's temporary directory).
        Timed wrapperStreamRun = new Timed(() -> {
            String prefix = server.tmpDir(capsule)
                    .resolve(".wrenn-bench-" + Long.toHexString(System.nanoTime()))
                    .toString();
            BareStream s = BareStream.start(
                    bare,
                    server.baseUrl(),
                    KEY,
                    capsule,
                    "/bin/sh",
                    List.of("-c", CapsuleScripts.wrapper(), "wrenn-run", prefix, "0", "true"),
                    d -> {});
            check(s.exit.get(30, TimeUnit.SECONDS) == 0, "bare stream through the wrapper: failed");
            for (String suffix : List.of(".out", ".err", ".pid", ".rc", ".status")) {
                Files.deleteIfExists(Path.of(prefix + suffix));
            }
        });
        Timed spawnRun =
                new Timed(() -> check(new ProcessBuilder("true").start().waitFor() == 0, "local true failed"));
        List<Timed> all =
                List.of(engineRun, postRun, clientStreamRun, bareStreamRun, teeStreamRun, wrapperStreamRun, spawnRun);
        Samples curlMs = new Samples();
        String curlLoop = "for i in $(seq " + commands + "); do curl -s -o /dev/null -X POST -H 'X-API-Key: " + KEY
                + "' -H 'Content-Type: application/json' -d '{\"cmd\":\"true\"}' " + post.uri() + "; done";
        for (int round = 0; round < 1 + rounds; round++) {
            long[] nanos = new long[all.size()];
            for (int i = 0; i < commands; i++) {
                // Interleaved one command at a time, each way first in turn, so that all see the same noise.
                for (int k = 0; k < all.size(); k++) {
                    int which = (i + k) % all.size();
                    long t0 = System.nanoTime();
                    all.get(which).run().once();
                    nanos[which] += System.nanoTime() - t0;
                }
            }
            long t1 = System.nanoTime();
            int rc = new ProcessBuilder("/bin/sh", "-c", curlLoop)
                    .inheritIO()
                    .start()
                    .waitFor();
            check(rc == 0, "curl loop exited " + rc);
            double curl = (System.nanoTime() - t1) / 1e6 / commands;
            if (round > 0) {
                for (int k = 0; k < all.size(); k++) {
                    all.get(k).ms().add(nanos[k] / 1e6 / commands);
                }
                curlMs.add(curl);
            }
        }
        Samples engine = engineRun.ms();
        pairedRow(
                "per-command time, engine vs its own floor: a bare WebSocket stream of `true` under the engine's"
                        + " wrapper (ms)",
                engine,
                wrapperStreamRun.ms(),
                "<= 1.1x",
                engine.medianRatioTo(wrapperStreamRun.ms()) <= 1.1);
        pairedInformation("  per-command time, engine vs bare POST exec (ms)", engine, postRun.ms());
        pairedInformation(
                "  per-command time, engine vs bare WebSocket stream exec, the streaming route's floor (ms)",
                engine,
                bareStreamRun.ms());
        pairedInformation(
                "  the engine's own share: engine vs its client's stream alone, without the capsule check (ms)",
                engine,
                clientStreamRun.ms());
        pairedInformation(
                "  the durability floor: engine vs a bare WebSocket stream of `true` through two `tee`, as the wrapper"
                        + " keeps output (ms)",
                engine,
                teeStreamRun.ms());
        pairedInformation(
                "  the wrapper's own cost: its bare stream vs the same through two `tee` alone (ms)",
                wrapperStreamRun.ms(),
                teeStreamRun.ms());
        pairedInformation(
                "  the streaming route itself, without the engine, which no client on it goes below: bare WebSocket"
                        + " stream exec vs bare POST exec (ms)",
                bareStreamRun.ms(),
                postRun.ms());
        table.information(
                "  test server's own cost per command: spawning and reaping `true` in its JVM (ms)",
                "",
                spawnRun.ms().describe("%.2f"),
                "");
        pairedRow(
                "per-command time, engine vs curl in a shell loop (ms)",
                engine,
                curlMs,
                "< 1x",
                engine.medianRatioTo(curlMs) < 1);
    }

    // ---- a wrennCapsule block: from its start to the first output of its first command

    private void capsuleStart() throws Exception {
        int rounds = quick ? 2 : 10;
        System.out.println("capsule block start to first output, " + rounds + " rounds ...");
        CapsuleStart.Result r = CapsuleStart.measure(rounds);
        pairedRow(
                "block start to first command output, lifecycle + engine vs bare create, poll, exec (ms)",
                r.engine(),
                r.bare(),
                "<= 1.2x",
                r.engine().medianRatioTo(r.bare()) <= 1.2);
    }

    // ---- a capsule as a Jenkins agent: from "an agent is needed" to the agent connected

    private void agentStart() throws Exception {
        int rounds = quick ? 2 : 10;
        System.out.println("agent launch to connected, " + rounds + " rounds ...");
        AgentStart.Result r = AgentStart.measure(rounds);
        pairedRow(
                "agent launch to connected, launch sequence vs create, poll, jar, exec by hand (ms)",
                r.launch(),
                r.floor(),
                "<= 1.2x",
                r.launch().medianRatioTo(r.floor()) <= 1.2);
    }

    // ---- capsule housekeeping: the metrics read at give-back, and one sweep of many capsules

    private void housekeeping() throws Exception {
        int rounds = quick ? 2 : 10;
        System.out.println("capsule block with and without the metrics read, " + rounds + " rounds ...");
        CapsuleHousekeeping.BlockResult r = CapsuleHousekeeping.blocks(rounds);
        pairedRow(
                "whole wrennCapsule block (create, wait, echo, give back), with the metrics read vs without (ms)",
                r.withUsage(),
                r.withoutUsage(),
                "<= 1.05x",
                r.withUsage().medianRatioTo(r.withoutUsage()) <= 1.05);
        int capsules = quick ? 20 : 200;
        Samples sweep = new Samples();
        for (int i = 0; i < (quick ? 1 : 3); i++) {
            System.out.println("sweep of " + capsules + " owned capsules, pass " + (i + 1) + " ...");
            sweep.add(CapsuleHousekeeping.sweep(capsules));
        }
        table.target(
                "one sweep pass over " + capsules + " owned capsules of builds that are over (ms)",
                sweep.describe("%.0f"),
                "",
                "",
                "<= 2000 ms",
                sweep.median() <= 2000);
    }

    /** A row of per-round times measured in pairs: both sides, and the median of their ratios. */
    private void pairedRow(String what, Samples measured, Samples reference, String target, boolean met) {
        table.target(
                what, measured.describe("%.2f"), reference.describe("%.2f"), measured.ratioTo(reference), target, met);
    }

    /** The same without a target. */
    private void pairedInformation(String what, Samples measured, Samples reference) {
        table.information(what, measured.describe("%.2f"), reference.describe("%.2f"), measured.ratioTo(reference));
    }

    // ---- memory: large outputs in a JVM with -Xmx64m

    private void memory() throws Exception {
        long streamSize = quick ? 32L << 20 : 1L << 30;
        long foregroundSize = quick ? 8L << 20 : 200L << 20;
        System.out.println("memory at -Xmx64m ...");
        probe("stream " + Table.mib(streamSize) + " through the engine at -Xmx64m", "stream", streamSize);
        probe("foreground exec with " + Table.mib(foregroundSize) + " stdout at -Xmx64m", "foreground", foregroundSize);
    }

    /** Runs the memory probe in a child JVM with whole lines of about {@code asked} bytes, and adds its row. */
    private void probe(String what, String mode, long asked) throws Exception {
        long size = wholeLines(asked);
        String expected = expectedCrc(size);
        ChildJvm.Result child = ChildJvm.run(
                "64m", MemoryProbe.class, mode, server.baseUrl().toString(), KEY, capsule, generator(size));
        String output = child.output();
        int rc = child.exitCode();
        for (String line : output.split("\n")) {
            if (line.startsWith("RESULT ")) {
                String[] f = line.split(" ");
                boolean intact = Long.parseLong(f[1]) == size && f[2].equals(expected);
                if (!intact) {
                    damaged.add(mode + " at -Xmx64m: output differs");
                }
                String measured = (intact ? "completed, CRC-32 intact" : "completed, OUTPUT DIFFERS") + ", peak heap "
                        + Table.mib(Long.parseLong(f[3]));
                table.target(what, measured, "", "", "completes, intact", intact);
                return;
            }
        }
        String reason = output.contains("OutOfMemoryError") ? "OutOfMemoryError" : "exit " + rc;
        damaged.add(mode + " at -Xmx64m: " + reason);
        table.target(what, "FAILED (" + reason + ")", "", "", "completes, intact", false);
    }

    /**
     * The largest size of whole generator lines within {@code bytes} (at most a line shorter; rows
     * name the size asked for): the engine ends an unterminated last line in the log, so output that
     * ends mid-line would not compare byte for byte.
     */
    private static long wholeLines(long bytes) {
        return bytes - bytes % (LINE.length() + 1);
    }

    private static String expectedCrc(long size) {
        byte[] line = (LINE + "\n").getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        long left = size;
        while (left > 0) {
            int n = (int) Math.min(line.length, left);
            crc.update(line, 0, n);
            left -= n;
        }
        return Long.toHexString(crc.getValue());
    }

    // ---- file transfer (wrennPut, wrennGet): rows measured by FileTransferBenchmark

    private void files() throws Exception {
        FileTransferBenchmark files = new FileTransferBenchmark(server, client, KEY, capsule, quick, table);
        files.run();
        damaged.addAll(files.damaged);
    }

    // ---- concurrency: many streamed commands at once in one JVM

    private void concurrency() throws Exception {
        int commands = quick ? 8 : 64;
        long asked = quick ? 1L << 20 : 4L << 20;
        long size = wholeLines(asked);
        System.out.println("concurrency, " + commands + " streamed commands of " + Table.mib(asked) + " ...");
        String expected = expectedCrc(size);
        long serialStart = System.nanoTime();
        for (int i = 0; i < commands; i++) {
            String got = runChecked(size);
            check(
                    got.equals(expected),
                    "serial run " + i + ": output differs" + (got.startsWith("note: ") ? " (" + got + ")" : ""));
        }
        double serialSeconds = (System.nanoTime() - serialStart) / 1e9;

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int before = threads.getThreadCount();
        threads.resetPeakThreadCount();
        ExecutorService pool = Executors.newFixedThreadPool(commands);
        long start = System.nanoTime();
        List<Future<String>> runs = new ArrayList<>();
        for (int i = 0; i < commands; i++) {
            runs.add(pool.submit(() -> runChecked(size)));
        }
        int intact = 0;
        String firstDamage = null;
        for (Future<String> f : runs) {
            String got = f.get(10, TimeUnit.MINUTES);
            if (got.equals(expected)) {
                intact++;
            } else if (firstDamage == null) {
                firstDamage = got.startsWith("note: ") ? got : "bytes differ";
            }
        }
        double parallelSeconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        if (intact < commands) {
            damaged.add((commands - intact) + " of " + commands + " concurrent commands: output differs (first: "
                    + firstDamage + ")");
        }
        table.target(
                commands + " streamed commands of " + Table.mib(asked) + " at once: wall time (s)",
                String.format(
                        "%.2f; all intact: %d/%d; threads %d -> peak %d (test server included)",
                        parallelSeconds, intact, commands, before, threads.getPeakThreadCount()),
                String.format("%.2f (serial total)", serialSeconds),
                String.format("%.2fx", parallelSeconds / serialSeconds),
                "all intact",
                intact == commands);
    }

    // ---- scale: many durable runs waiting at once, driven as the Pipeline step drives them

    /**
     * Starts many durable runs that wait at a FIFO in a child JVM ({@link ScaleProbe}) whose whole
     * heap is capped at the target, so that the threads and heap it adds are the client side's
     * alone; the test server stays here.
     */
    private void scale() throws Exception {
        int runs = quick ? 50 : 1000;
        System.out.println("scale, " + runs + " durable runs waiting at once, client in a JVM with -Xmx256m ...");
        Path barrier = fifo("scale.fifo");
        ChildJvm.Result child = ChildJvm.run(
                "256m",
                ScaleProbe.class,
                server.baseUrl().toString(),
                KEY,
                capsule,
                barrier.toString(),
                Integer.toString(runs));
        String[] result = null;
        for (String line : child.output().split("\n")) {
            if (line.startsWith("RESULT ")) {
                result = line.split(" ");
            } else if (line.startsWith("THREADS ")) {
                System.out.println("  platform threads added while waiting: " + line.substring(8));
            }
        }
        if (child.exitCode() != 0 || result == null) {
            damaged.add(runs + " durable runs at once at -Xmx256m: exit " + child.exitCode() + ": " + child.output());
            return;
        }
        int intact = Integer.parseInt(result[3]);
        if (intact < runs) {
            damaged.add((runs - intact) + " of " + runs + " durable runs at once: output or exit code wrong");
        }
        int threadsAdded = Integer.parseInt(result[1]);
        table.target(
                runs + " durable runs waiting at once: platform threads added (client JVM)",
                threadsAdded + "; all intact: " + intact + "/" + runs + "; all started in " + result[4] + " s",
                "",
                "",
                "<= 64, all intact",
                threadsAdded <= 64 && intact == runs);
        long heapAdded = Long.parseLong(result[2]);
        table.target(
                runs + " durable runs waiting at once: live heap added (client JVM, -Xmx256m)",
                Table.mib(heapAdded),
                "",
                "",
                "<= 256 MiB",
                heapAdded <= 256L << 20);
    }

    private String runChecked(long size) throws Exception {
        CRC32 crc = new CRC32();
        OutputStream sink = new OutputStream() {
            @Override
            public void write(int b) {
                crc.update(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                crc.update(b, off, len);
            }
        };
        NoteWatch notes = new NoteWatch(sink);
        run(ExecutionSpec.of(capsule, Command.shell(generator(size))), CommandOutput.of(notes));
        // A note of the engine's among the output (a cut stream it followed, say) damages it too,
        // and says why.
        return notes.first() == null ? Long.toHexString(crc.getValue()) : "note: " + notes.first();
    }

    /** Passes the output on, and keeps the first line that starts with the engine's note prefix. */
    private static final class NoteWatch extends OutputStream {
        private static final byte[] PREFIX = "[wrenn] ".getBytes(StandardCharsets.US_ASCII);
        private final OutputStream out;
        private final ByteArrayOutputStream note = new ByteArrayOutputStream();
        /** How many bytes of the prefix the current line has matched; -1 once it cannot be a note. */
        private int matched;

        private boolean inNote;
        private boolean noteDone;

        NoteWatch(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            watch((byte) b);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (!noteDone) {
                for (int i = off; i < off + len; i++) {
                    watch(b[i]);
                }
            }
            out.write(b, off, len);
        }

        private void watch(byte b) {
            if (noteDone) {
                return;
            }
            if (inNote) {
                if (b == '\n' || note.size() >= 300) {
                    noteDone = true;
                } else {
                    note.write(b);
                }
                return;
            }
            if (b == '\n') {
                matched = 0;
            } else if (matched >= 0 && b == PREFIX[matched]) {
                matched++;
                if (matched == PREFIX.length) {
                    inNote = true;
                    note.writeBytes(PREFIX);
                }
            } else {
                matched = -1;
            }
        }

        String first() {
            return note.size() == 0 ? null : note.toString(StandardCharsets.UTF_8);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }
}
