package io.jenkins.plugins.wrenn.benchmark;

import io.jenkins.plugins.wrenn.api.ExecCompletion;
import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.Command;
import io.jenkins.plugins.wrenn.exec.DurableExecution;
import io.jenkins.plugins.wrenn.exec.ExecOutcome;
import io.jenkins.plugins.wrenn.exec.ExecutionSpec;
import io.jenkins.plugins.wrenn.exec.StderrMarker;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * Runs in a child JVM with a small heap: streams or fetches a large output and prints its CRC-32,
 * byte count and the peak heap used, for the parent to check.
 * Usage: MemoryProbe stream|foreground BASE_URL KEY CAPSULE SHELL_LINE; stream runs the command
 * through the durable engine, foreground fetches its output with one foreground exec.
 */
public final class MemoryProbe {

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        URI base = URI.create(args[1]);
        String key = args[2];
        String capsule = args[3];
        String line = args[4];
        CRC32 crc = new CRC32();
        long[] count = {0};
        OutputStream sink = new OutputStream() {
            @Override
            public void write(int b) {
                crc.update(b);
                count[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                crc.update(b, off, len);
                count[0] += len;
            }
        };
        try (WrennClient client = WrennClient.builder(base, key).build()) {
            if (mode.equals("stream")) {
                try (DurableExecution durable =
                        new DurableExecution(client, key, Duration.ofSeconds(5), null, StderrMarker.NONE)) {
                    ExecOutcome out = durable.start(
                                    ExecutionSpec.of(capsule, Command.shell(line)), CommandOutput.of(sink), null)
                            .outcome()
                            .get(10, TimeUnit.MINUTES);
                    if (out.exitCode() != 0) {
                        throw new IllegalStateException("exit " + out.exitCode());
                    }
                }
            } else {
                ExecCompletion done = client.commands()
                        .run(
                                capsule,
                                ExecRequest.foreground("/bin/sh", List.of("-c", line), 600),
                                sink,
                                OutputStream.nullOutputStream());
                if (done.exitCode() != 0) {
                    throw new IllegalStateException("exit " + done.exitCode());
                }
            }
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.println("RESULT " + count[0] + " " + Long.toHexString(crc.getValue()) + " " + peak);
    }
}
