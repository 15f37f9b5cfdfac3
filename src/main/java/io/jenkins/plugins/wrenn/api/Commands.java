package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Running commands in a capsule: blocking (the whole output at the end), streamed over a WebSocket
 * (output as it is written), or started in the background.
 */
public final class Commands {

    private final Transport transport;
    private final Capsules capsules;
    private final Processes processes;

    Commands(Transport transport, Capsules capsules, Processes processes) {
        this.transport = transport;
        this.capsules = capsules;
        this.processes = processes;
    }

    /**
     * Runs a command and waits for it; returns its outputs as strings. For outputs of unknown size
     * prefer {@link #run(String, ExecRequest, OutputStream, OutputStream)}.
     */
    public ExecResult run(String id, ExecRequest request) throws WrennApiException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecCompletion done = run(id, request, out, err);
        return new ExecResult(
                out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8),
                done.exitCode(),
                done.durationMs());
    }

    /**
     * Runs a command and waits for it, writing its outputs (base64 already decoded) to the given
     * streams. Memory stays bounded whatever the output size: the answer is read as it arrives and
     * large outputs pass through temporary files.
     */
    public ExecCompletion run(String id, ExecRequest request, OutputStream stdout, OutputStream stderr)
            throws WrennApiException, InterruptedException {
        if (request.background()) {
            throw new IllegalArgumentException("background: use startBackground for a background exec");
        }
        int serverTimeout = request.timeoutSec() == null || request.timeoutSec() == 0
                ? WrennClient.SERVER_DEFAULT_TIMEOUT_SEC
                : request.timeoutSec();
        Duration timeout = transport.requestTimeout().plusSeconds(serverTimeout);
        return transport.send(
                "exec",
                id,
                transport.post(Transport.capsulePath(id) + "/exec", execBody(request), timeout),
                in -> {
                    try (ExecResponseReader answer = new ExecResponseReader(in).read()) {
                        answer.writeTo(stdout, stderr);
                        return new ExecCompletion(answer.exitCode(), answer.durationMs());
                    }
                },
                false);
    }

    /** Starts a command in the background and returns its pid and tag at once. */
    public BackgroundProcess startBackground(String id, ExecRequest request)
            throws WrennApiException, InterruptedException {
        if (!request.background()) {
            throw new IllegalArgumentException("background: use exec for a foreground exec");
        }
        return transport.send(
                "start background process",
                id,
                transport.post(Transport.capsulePath(id) + "/exec", execBody(request), transport.requestTimeout()),
                Commands::backgroundProcess,
                false);
    }

    /**
     * {@link #startBackground} without waiting: an interrupt of the caller does not cut the
     * exchange, so a caller that gives up can still learn the pid of a process that started, and
     * stop it. Completes exceptionally with a {@link WrennApiException} (inside a
     * {@link java.util.concurrent.CompletionException}); bounded by the request timeout. Sent once.
     */
    public CompletableFuture<BackgroundProcess> startBackgroundAsync(String id, ExecRequest request) {
        if (!request.background()) {
            throw new IllegalArgumentException("background: use exec for a foreground exec");
        }
        return transport.sendAsync(
                "start background process",
                id,
                transport.post(Transport.capsulePath(id) + "/exec", execBody(request), transport.requestTimeout()),
                Commands::backgroundProcess);
    }

    private static BackgroundProcess backgroundProcess(InputStream in) throws IOException {
        JsonNode node = Transport.JSON.readTree(in);
        if (!node.path("pid").canConvertToLong()) {
            throw new IOException("no pid in the answer");
        }
        return new BackgroundProcess(node.path("pid").asLong(), node.path("tag").asText(null));
    }

    private static ObjectNode execBody(ExecRequest request) {
        ObjectNode body = Transport.JSON.createObjectNode();
        body.put("cmd", request.cmd());
        if (!request.args().isEmpty()) {
            body.putPOJO("args", request.args());
        }
        if (request.timeoutSec() != null) {
            body.put("timeout_sec", request.timeoutSec());
        }
        if (request.background()) {
            body.put("background", true);
            if (request.tag() != null) {
                body.put("tag", request.tag());
            }
            if (!request.envs().isEmpty()) {
                body.putPOJO("envs", request.envs());
            }
            if (request.cwd() != null) {
                body.put("cwd", request.cwd());
            }
        }
        return body;
    }

    /**
     * Runs a command over the streaming WebSocket. Output reaches the listener as the process
     * writes it; {@link ProcessStream#exitCode()} completes with the exit code. Capsule problems
     * (not found, not running, bad key) arrive after the upgrade, with the same kinds as their HTTP
     * twins: they complete it exceptionally, or are thrown from here when they came before the
     * command could be sent.
     */
    public ProcessStream stream(String id, String cmd, List<String> args, StreamListener listener)
            throws WrennApiException, InterruptedException {
        return transport.await("exec stream", id, streamAsync(id, cmd, args, listener));
    }

    /**
     * {@link #stream} without waiting: completes with the stream once the command's start message
     * is written, or exceptionally with the {@link WrennApiException} that {@code stream} would
     * throw. No thread waits meanwhile; the result completes on the HTTP client's thread, so what
     * depends on it must be quick. The connection is bounded by the client's connect timeout, the
     * start by the stream's keep-alive.
     */
    public CompletableFuture<ProcessStream> streamAsync(
            String id, String cmd, List<String> args, StreamListener listener) {
        if (cmd == null || cmd.isBlank()) {
            throw new IllegalArgumentException("cmd: the command must not be empty");
        }
        return transport.openStream(
                "exec stream",
                id,
                Transport.capsulePath(id) + "/exec/stream",
                listener,
                lost -> SilentEnds.explain(capsules, processes, id, null, lost),
                ProcessStream.startMessage(cmd, args));
    }
}
