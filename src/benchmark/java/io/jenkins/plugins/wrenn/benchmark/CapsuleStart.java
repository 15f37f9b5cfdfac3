package io.jenkins.plugins.wrenn.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Time from the start of a {@code wrennCapsule} block to the first output of its first command:
 * the lifecycle engine (create, wait with progress lines, then the exec engine) against bare
 * calls (POST create, GET every {@link CapsuleLifecycle#DEFAULT_POLL} until running, POST exec),
 * on a server of the current generation whose capsules take 1 s to start, as its default.
 */
final class CapsuleStart {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "wrn_benchmark_capsule_start";

    /** Both sides, one sample a round. */
    record Result(Samples engine, Samples bare) {}

    private CapsuleStart() {}

    static Result measure(int rounds) throws Exception {
        Samples engineMs = new Samples();
        Samples bareMs = new Samples();
        try (WrennTestServer server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
                WrennClient client = WrennClient.builder(server.baseUrl(), KEY).build();
                DurableExecution engine = new DurableExecution(
                        client, KEY, DurableExecution.DEFAULT_KILL_GRACE, null, StderrMarker.NONE)) {
            HttpClient bare =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            CapsuleLifecycle lifecycle = CapsuleLifecycle.withDefaults(client, null);
            PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
            // One warm-up round of each, then measured rounds, alternating which goes first.
            for (int round = 0; round <= rounds; round++) {
                double e;
                double b;
                if (round % 2 == 0) {
                    e = viaEngine(lifecycle, engine, discard);
                    b = viaBareCalls(bare, server.baseUrl());
                } else {
                    b = viaBareCalls(bare, server.baseUrl());
                    e = viaEngine(lifecycle, engine, discard);
                }
                if (round > 0) {
                    engineMs.add(e);
                    bareMs.add(b);
                }
            }
        }
        return new Result(engineMs, bareMs);
    }

    private static double viaEngine(CapsuleLifecycle lifecycle, DurableExecution engine, PrintStream log)
            throws Exception {
        FirstByte first = new FirstByte();
        long t0 = System.nanoTime();
        CapsuleLease lease =
                lifecycle.acquire(new CapsuleOptions("base", 0, 0, 0, 60, KeepPolicy.NEVER, null, false, false), log);
        ExecOutcome out = engine.start(
                        ExecutionSpec.of(lease.capsuleId(), Command.program("echo", List.of("first"))),
                        CommandOutput.of(first),
                        null)
                .outcome()
                .get(30, TimeUnit.SECONDS);
        check(out.exitCode() == 0 && first.at > 0, "engine: echo failed");
        double ms = (first.at - t0) / 1e6;
        lifecycle.release(lease, log);
        return ms;
    }

    private static double viaBareCalls(HttpClient http, URI base) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> created =
                http.send(post(base + "/v1/capsules", "{\"template\":\"base\"}"), HttpResponse.BodyHandlers.ofString());
        check(created.statusCode() / 100 == 2, "bare create: HTTP " + created.statusCode());
        String id = JSON.readTree(created.body()).path("id").asText();
        HttpRequest get = HttpRequest.newBuilder(URI.create(base + "/v1/capsules/" + id))
                .header("X-API-Key", KEY)
                .build();
        String status = JSON.readTree(created.body()).path("status").asText();
        while (!"running".equals(status)) {
            Thread.sleep(CapsuleLifecycle.DEFAULT_POLL.toMillis());
            JsonNode c = JSON.readTree(
                    http.send(get, HttpResponse.BodyHandlers.ofString()).body());
            status = c.path("status").asText();
        }
        HttpResponse<String> exec = http.send(
                post(base + "/v1/capsules/" + id + "/exec", "{\"cmd\":\"echo\",\"args\":[\"first\"]}"),
                HttpResponse.BodyHandlers.ofString());
        check(exec.statusCode() == 200 && exec.body().contains("first"), "bare exec: HTTP " + exec.statusCode());
        double ms = (System.nanoTime() - t0) / 1e6;
        http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/capsules/" + id))
                        .header("X-API-Key", KEY)
                        .DELETE()
                        .build(),
                HttpResponse.BodyHandlers.discarding());
        return ms;
    }

    private static HttpRequest post(String url, String body) {
        return HttpRequest.newBuilder(URI.create(url))
                .header("X-API-Key", KEY)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    /** Records when the first byte of the command's output arrived. */
    private static final class FirstByte extends OutputStream {
        volatile long at;

        @Override
        public void write(int b) {
            if (at == 0) {
                at = System.nanoTime();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (len > 0) {
                write(b[off]);
            }
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }
}
