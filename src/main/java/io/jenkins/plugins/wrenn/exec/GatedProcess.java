package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.BackgroundProcess;
import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.ExecResult;
import io.jenkins.plugins.wrenn.api.ProcessStream;
import io.jenkins.plugins.wrenn.api.StreamListener;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * A command started as a background process that waits behind a gate ({@code gate.sh}): a tiny
 * {@code /bin/sh} loop that waits for a file, removes it, then {@code exec}s the command (same pid)
 * in a process group of its own. The engine attaches first and then opens the gate, so the attach
 * sees every byte of output although an attach never replays. The background start is also the
 * only way the API sets environment variables on the process itself, where the capsule's process
 * list does not show them.
 */
final class GatedProcess {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final WrennClient client;
    private final String capsuleId;
    private final String credentialsName;
    private final BackgroundProcess process;
    private final String gate;

    private GatedProcess(
            WrennClient client, String capsuleId, String credentialsName, BackgroundProcess process, String gate) {
        this.client = client;
        this.capsuleId = capsuleId;
        this.credentialsName = credentialsName;
        this.process = process;
        this.gate = gate;
    }

    /**
     * Starts the command behind its gate.
     *
     * @param around what runs the gated command, itself not gated (the wrapper of a durable run), or
     *     null: then the background process is the gate and then the command
     * @param tag the tag to give the process, or null for one of the form {@code wrenn-1a2b3c4d}
     * @param gate the gate's file name in the capsule's temporary directory, or null for one made
     *     from the tag
     * @param ifInterrupted what stops the process when an interrupt ended the wait for its start:
     *     it may run all the same, and it is handed over once the capsule has said its pid
     */
    static GatedProcess launch(
            WrennClient client,
            String capsuleId,
            Command around,
            Command command,
            Map<String, String> envs,
            String cwd,
            String tag,
            String gate,
            String credentialsName,
            Consumer<BackgroundProcess> ifInterrupted)
            throws ExecutionFailure, InterruptedException {
        String name = tag != null ? tag : "wrenn-" + HexFormat.of().toHexDigits(RANDOM.nextInt());
        String gateName = gate != null ? gate : ".wrenn-start-" + name.replaceAll("[^A-Za-z0-9_.-]", "_");
        BackgroundProcess p = startSeenThrough(
                client,
                capsuleId,
                ExecRequest.background(
                        around == null ? "/bin/sh" : around.program(),
                        gated(around, gateName, command),
                        name,
                        forScripts(envs),
                        cwd),
                credentialsName,
                ifInterrupted);
        return new GatedProcess(client, capsuleId, credentialsName, p, gateName);
    }

    /**
     * Starts a background process and sees its start through: an interrupt ends the wait, but not
     * the exchange, whose answer (bounded by the request timeout) hands a process that started to
     * {@code ifInterrupted}, so that no process runs that nobody knows of.
     */
    static BackgroundProcess startSeenThrough(
            WrennClient client,
            String capsuleId,
            ExecRequest request,
            String credentialsName,
            Consumer<BackgroundProcess> ifInterrupted)
            throws ExecutionFailure, InterruptedException {
        CompletableFuture<BackgroundProcess> started = client.commands().startBackgroundAsync(capsuleId, request);
        try {
            return started.get();
        } catch (InterruptedException e) {
            started.thenAccept(p -> Thread.ofVirtual()
                    .name("Wrenn stop of a late start in " + capsuleId)
                    .start(() -> ifInterrupted.accept(p)));
            throw e;
        } catch (ExecutionException e) {
            Throwable cause =
                    e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof WrennApiException api) {
                throw ApiFailures.of(client, capsuleId, credentialsName, api);
            }
            throw new ExecutionFailure(ExecutionFailure.Reason.UNEXPECTED, Messages.Failure_Unexpected(cause), cause);
        }
    }

    /** The arguments that run {@code gate.sh} (after {@code around}, when there is one), then the command. */
    static List<String> gated(Command around, String gate, Command command) {
        List<String> args = new ArrayList<>();
        if (around != null) {
            args.addAll(around.args());
            args.add("/bin/sh");
        }
        args.addAll(List.of("-c", CapsuleScripts.GATE, "wrenn-gate", gate, command.program()));
        args.addAll(command.args());
        return args;
    }

    /**
     * The step's environment as the scripts get it: its own {@code TMPDIR}, if any, travels as
     * {@code WRENN_TMPDIR} (which {@code gate.sh} turns back into {@code TMPDIR} for the command),
     * so that every script finds the control files in the capsule's own temporary directory.
     */
    static Map<String, String> forScripts(Map<String, String> envs) {
        if (envs == null || !envs.containsKey("TMPDIR")) {
            return envs;
        }
        Map<String, String> moved = new LinkedHashMap<>(envs);
        moved.put("WRENN_TMPDIR", moved.remove("TMPDIR"));
        return moved;
    }

    /** The process, waiting at its gate until {@link #open()}. */
    BackgroundProcess process() {
        return process;
    }

    /** Attaches to the process's output; do this before {@link #open()}. */
    ProcessStream attach(StreamListener listener) throws ExecutionFailure, InterruptedException {
        try {
            return client.processes().attach(capsuleId, Long.toString(process.pid()), listener);
        } catch (WrennApiException e) {
            throw ApiFailures.of(client, capsuleId, credentialsName, e);
        }
    }

    /** Lets the process run its command. */
    void open() throws ExecutionFailure, InterruptedException {
        try {
            ExecResult touched = client.commands()
                    .run(
                            capsuleId,
                            ExecRequest.foreground(
                                    "/bin/sh", List.of("-c", ": >\"${TMPDIR:-/tmp}/$1\"", "wrenn-open", gate), 30));
            if (touched.exitCode() != 0) {
                throw new ExecutionFailure(
                        ExecutionFailure.Reason.UNEXPECTED,
                        Messages.Failure_GateFailed(
                                gate, capsuleId, touched.stderr().strip()),
                        null);
            }
        } catch (WrennApiException e) {
            throw ApiFailures.of(client, capsuleId, credentialsName, e);
        }
    }
}
