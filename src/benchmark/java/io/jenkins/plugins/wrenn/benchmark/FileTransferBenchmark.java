package io.jenkins.plugins.wrenn.benchmark;

import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.ExecResult;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.files.AntPatterns;
import io.jenkins.plugins.wrenn.files.FileTransfer;
import io.jenkins.plugins.wrenn.files.LocalFiles;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * The file transfer rows of the benchmark: many small files against one file of the same bytes,
 * and a large file each way in a JVM with {@code -Xmx64m} (this class's {@link #main} is that
 * child). Rows are handed back to {@link WrennBenchmark}, which prints them with the others.
 */
final class FileTransferBenchmark {

    private final WrennTestServer server;
    private final WrennClient client;
    private final String key;
    private final String capsule;
    private final boolean quick;
    private final Table table;
    final List<String> damaged = new ArrayList<>();

    FileTransferBenchmark(
            WrennTestServer server, WrennClient client, String key, String capsule, boolean quick, Table table) {
        this.server = server;
        this.client = client;
        this.key = key;
        this.capsule = capsule;
        this.quick = quick;
        this.table = table;
    }

    void run() throws Exception {
        Path local = Files.createTempDirectory("wrenn-files-benchmark");
        try {
            manyFiles(local);
            largeFile(local);
        } finally {
            delete(local);
        }
    }

    // ---- many small files against one file of the same bytes

    private void manyFiles(Path local) throws Exception {
        int count = quick ? 500 : 5000;
        int each = 10 * 1024;
        int rounds = quick ? 1 : 5;
        System.out.println("files: " + count + " files against one file ...");
        Path many = Files.createDirectories(local.resolve("many"));
        Random random = new Random(1);
        byte[] buf = new byte[each];
        for (int i = 0; i < count; i++) {
            random.nextBytes(buf);
            Path f = many.resolve("d" + (i % 50) + "/f" + i + ".bin");
            Files.createDirectories(f.getParent());
            Files.write(f, buf);
        }
        Path one = local.resolve("one.bin");
        try (OutputStream out = Files.newOutputStream(one)) {
            for (int i = 0; i < count; i++) {
                random.nextBytes(buf);
                out.write(buf);
            }
        }
        Path capsuleDir = server.workDir(capsule);
        FileTransfer transfer =
                new FileTransfer(client, capsule, null, new PrintStream(OutputStream.nullOutputStream()));
        // The capsule's own cost of creating the files: tar -x of the same archive, run alone.
        String refDir = capsuleDir.resolve("many-ref").toString();
        String refTar = capsuleDir.resolve("many-ref.tar").toString();
        transfer.put(LocalFiles.select(many, "**", ""), "the benchmark", refDir, false);
        shell("tar -c -f '" + refTar + "' -C '" + refDir + "' .");
        Samples engine = new Samples();
        Samples single = new Samples();
        Samples singleAndUnpack = new Samples();
        for (int r = 0; r <= rounds; r++) {
            String into = capsuleDir.resolve("many-" + r).toString();
            String unpacked = capsuleDir.resolve("unpacked-" + r).toString();
            long t0 = System.nanoTime();
            transfer.put(LocalFiles.select(many, "**", ""), "the benchmark", into, false);
            long t1 = System.nanoTime();
            try (InputStream in = Files.newInputStream(one)) {
                client.files()
                        .write(capsule, capsuleDir.resolve("one-" + r + ".bin").toString(), in, Duration.ofMinutes(10));
            }
            long t2 = System.nanoTime();
            shell("mkdir -p '" + unpacked + "' && tar -x -o -f '" + refTar + "' -C '" + unpacked + "'");
            long t3 = System.nanoTime();
            if (r > 0) { // round 0 warms up
                engine.add((t1 - t0) / 1e6);
                single.add((t2 - t1) / 1e6);
                singleAndUnpack.add((t3 - t1) / 1e6);
            }
            delete(Path.of(into));
            delete(Path.of(unpacked));
            Files.deleteIfExists(capsuleDir.resolve("one-" + r + ".bin"));
        }
        table.target(
                "wrennPut of " + count + " files (" + Table.mib(count * (long) each) + "), ms",
                engine.describe("%.0f"),
                "one file of the same bytes, then the capsule's own tar -x of them: "
                        + singleAndUnpack.describe("%.0f"),
                engine.ratioTo(singleAndUnpack),
                "<= 1.5x",
                engine.medianRatioTo(singleAndUnpack) <= 1.5);
        table.information(
                "  the same against the upload of one file alone (leaves out the capsule creating " + count + " files)",
                engine.describe("%.0f"),
                single.describe("%.0f"),
                engine.ratioTo(single));
        delete(Path.of(refDir));
        Files.deleteIfExists(Path.of(refTar));
        String into = capsuleDir.resolve("many-back").toString();
        transfer.put(LocalFiles.select(many, "**", ""), "the benchmark", into, false);
        Path back = Files.createDirectories(local.resolve("many-back"));
        long t0 = System.nanoTime();
        FileTransfer.Summary got =
                transfer.get(into, AntPatterns.of("**"), AntPatterns.of(""), LocalFiles.target(back), "back", false);
        long took = System.nanoTime() - t0;
        if (got.files() != count) {
            damaged.add("wrennGet of many files: " + got.files() + " of " + count);
        }
        table.information(
                "wrennGet of the same files, ms", String.format("%.0f; %d files", took / 1e6, got.files()), "", "");
        delete(Path.of(into));
    }

    private void shell(String line) throws Exception {
        ExecResult r = client.commands().run(capsule, ExecRequest.foreground("/bin/sh", List.of("-c", line), 600));
        if (r.exitCode() != 0) {
            throw new IllegalStateException(line + ": exit " + r.exitCode() + ": " + r.stderr());
        }
    }

    // ---- a large file each way at -Xmx64m

    private void largeFile(Path local) throws Exception {
        long size = quick ? 64L << 20 : 2L << 30;
        System.out.println("files: " + Table.mib(size) + " each way at -Xmx64m ...");
        Path dir = Files.createDirectories(local.resolve("large"));
        Path file = dir.resolve("large.bin");
        String crc = writeLarge(file, size);
        Path capsuleDir = server.workDir(capsule);
        String into = capsuleDir.resolve("large-in").toString();
        probe(
                "wrennPut of " + Table.mib(size) + " at -Xmx64m",
                "put",
                dir.toString(),
                into,
                size,
                crc,
                Path.of(into, "large.bin"));
        Path back = Files.createDirectories(local.resolve("large-back"));
        Files.delete(file);
        probe(
                "wrennGet of " + Table.mib(size) + " at -Xmx64m",
                "get",
                into,
                back.toString(),
                size,
                crc,
                back.resolve("large.bin"));
        delete(Path.of(into));
    }

    private static String writeLarge(Path file, long size) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buf = new byte[1 << 20];
        new Random(7).nextBytes(buf);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= buf.length) {
                int n = (int) Math.min(buf.length, left);
                buf[0]++; // no two blocks alike
                out.write(buf, 0, n);
                crc.update(buf, 0, n);
            }
        }
        return Long.toHexString(crc.getValue());
    }

    /** Moves the file in a child JVM with {@code -Xmx64m}, checks it arrived whole, and adds its row. */
    private void probe(String what, String mode, String from, String to, long size, String crc, Path result)
            throws Exception {
        ChildJvm.Result child = ChildJvm.run(
                "64m", FileTransferBenchmark.class, mode, server.baseUrl().toString(), key, capsule, from, to);
        String output = child.output();
        int rc = child.exitCode();
        for (String line : output.split("\n")) {
            if (line.startsWith("RESULT ")) {
                String[] f = line.split(" ");
                boolean intact = Files.size(result) == size && crcOf(result).equals(crc);
                if (!intact) {
                    damaged.add(mode + " at -Xmx64m: the file differs");
                }
                String measured = (intact ? "completed, CRC-32 intact" : "completed, FILE DIFFERS") + ", " + f[1]
                        + " ms, peak heap " + Table.mib(Long.parseLong(f[2]));
                table.target(what, measured, "", "", "completes, intact", intact);
                return;
            }
        }
        String reason = output.contains("OutOfMemoryError") ? "OutOfMemoryError" : "exit " + rc + ": " + output.strip();
        damaged.add(mode + " at -Xmx64m: " + reason);
        table.target(what, "FAILED (" + reason + ")", "", "", "completes, intact", false);
    }

    private static String crcOf(Path file) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                crc.update(buf, 0, n);
            }
        }
        return Long.toHexString(crc.getValue());
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * The child JVM: moves one directory's files with the engine and prints the time and the peak
     * heap. Usage: {@code put|get BASE_URL KEY CAPSULE FROM TO}.
     */
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        long t0 = System.nanoTime();
        try (WrennClient client =
                WrennClient.builder(URI.create(args[1]), args[2]).build()) {
            FileTransfer transfer = new FileTransfer(client, args[3], null, System.err);
            if (mode.equals("put")) {
                transfer.put(LocalFiles.select(Path.of(args[4]), "**", ""), args[4], args[5], false);
            } else {
                transfer.get(
                        args[4],
                        AntPatterns.of("**"),
                        AntPatterns.of(""),
                        LocalFiles.target(Path.of(args[5])),
                        args[5],
                        false);
            }
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.println("RESULT " + (System.nanoTime() - t0) / 1_000_000 + " " + peak);
    }
}
