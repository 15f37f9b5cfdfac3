package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One open output stream of a process: a streaming exec or an attach. {@link #exitCode()} completes
 * with the process's exit code, or exceptionally with a {@link WrennApiException} when the stream
 * ends without one (capsule error, bad key, connection lost, or {@link #close()}).
 *
 * <p>Ending the stream does not end the process: the server keeps it running. Kill it through
 * {@link Processes#kill} to stop it.
 *
 * <p>Messages reach the {@link StreamListener} in order, one at a time, on a delivery thread of
 * their own, never on the HTTP client's one selector thread: a slow listener (a log on a slow
 * disk) holds up its own stream only, never the other streams of the client nor their
 * keep-alive. What has arrived and waits for the listener is bounded ({@link ListenerBacklog}):
 * beyond it, the stream reads nothing more from the connection until the listener has caught up.
 * Once {@link #exitCode()} has completed, no call to the listener starts (one under way when
 * another thread closes the stream may still finish).
 */
public final class ProcessStream implements AutoCloseable {

    /** A message is one chunk of output; anything far larger is not the API talking. */
    private static final int MAX_MESSAGE_CHARS = 16 * 1024 * 1024;

    private final String operation;
    private final String capsuleId;
    private final StreamListener listener;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private final Executor deliveries;
    /**
     * The client's bound on what waits for listeners. A stream that stops reading for it may end
     * as lost instead of with its last message: the JDK's WebSocket needs a demand outstanding
     * when the server's end arrives, and a demand given again from the delivery thread races with
     * that end (see {@link Receiver#onError}). A caller that must not lose that message (the
     * durable engine) recovers from {@link WrennApiException#LAST_MESSAGE_LOST}.
     */
    private final ListenerBacklog backlog;
    /** What the delivery thread still has to do, in the order it arrived; guarded by itself. */
    private final ArrayDeque<Delivery> queue = new ArrayDeque<>();
    /** Whether a delivery thread runs; guarded by {@link #queue}. */
    private boolean draining;
    /** The characters of the messages in {@link #queue}; guarded by it. */
    private long waitingChars;
    /** Whether reading has stopped until the listener catches up; guarded by {@link #queue}. */
    private boolean paused;

    /** Something for the listener, of this many characters of output. */
    private record Delivery(Runnable task, int chars) {}

    private volatile WebSocket socket;
    private volatile ScheduledFuture<?> pinger;
    private volatile long pid = -1;
    private volatile boolean stopping;
    /** {@link System#nanoTime()} when anything last arrived from the server (a message, a pong, a ping). */
    private volatile long lastHeard = System.nanoTime();
    /** {@link System#nanoTime()} of the keep-alive ping not yet followed by anything heard, or 0. */
    private volatile long unansweredPingAt;

    /**
     * Finds out why a stream ended before its first message. A server that refuses a stream sends
     * its reason and closes the connection at once, and the JDK client can lose that last message;
     * newer servers close an attach to an ended process without any message.
     */
    @FunctionalInterface
    interface SilentEndExplainer {
        /** Returns the failure to report: the reason found, or {@code lost} itself. */
        WrennApiException explain(WrennApiException lost) throws InterruptedException;

        /**
         * Explains on a thread of its own (asking takes requests: not on the thread that delivers
         * stream events) and hands the failure to report to {@code then}; then {@code lost} too, so
         * that even an explanation that breaks unexpectedly ends what waits: {@code then} must
         * take only the first failure it is given.
         */
        default void explainLater(String threadName, WrennApiException lost, Consumer<WrennApiException> then) {
            Thread.ofVirtual().name(threadName).start(() -> {
                try {
                    then.accept(explain(lost));
                } catch (InterruptedException e) {
                    // Not asked after all: the lost connection is the reason.
                } finally {
                    then.accept(lost);
                }
            });
        }
    }

    private final SilentEndExplainer explainer;
    /** Whether any message has arrived; until then an end may be a lost refusal. */
    private volatile boolean heardMessage;

    /**
     * @param deliveries runs the deliveries to the listener: each task hands over what has arrived
     *     and returns when there is nothing more; at most one runs at a time per stream
     * @param backlog what may wait for the listeners of the client's streams
     */
    ProcessStream(
            String operation,
            String capsuleId,
            StreamListener listener,
            SilentEndExplainer explainer,
            Executor deliveries,
            ListenerBacklog backlog) {
        this.operation = operation;
        this.capsuleId = capsuleId;
        this.listener = listener;
        this.explainer = explainer;
        this.deliveries = deliveries;
        this.backlog = backlog;
        exit.whenComplete((code, failure) -> stopPinging());
    }

    /** Completes with the exit code, or exceptionally with a {@link WrennApiException}. */
    public CompletableFuture<Integer> exitCode() {
        return exit;
    }

    /** The pid from the stream's start message, or -1 before it (or on an attach). */
    public long pid() {
        return pid;
    }

    /** The message that starts a command on an exec stream. */
    static String startMessage(String cmd, List<String> args) {
        ObjectNode start = Transport.JSON.createObjectNode();
        start.put("type", "start");
        start.put("cmd", cmd);
        start.putPOJO("args", args == null ? List.of() : args);
        return start.toString();
    }

    /**
     * Asks the server to end the stream politely ({@code {"type":"stop"}}), then closes it. The
     * process keeps running.
     */
    public void stop() {
        stopping = true;
        WebSocket ws = socket;
        if (ws != null && !ws.isOutputClosed()) {
            ws.sendText("{\"type\":\"stop\"}", true)
                    .thenCompose(w -> w.sendClose(WebSocket.NORMAL_CLOSURE, "stopped"))
                    .orTimeout(2, TimeUnit.SECONDS)
                    .whenComplete((w, e) -> close());
        } else {
            close();
        }
    }

    /**
     * Cuts the stream at once; the process keeps running. (The server has closed a stream that
     * delivered its exit code already: it cuts the connection right after its last message.)
     */
    @Override
    public void close() {
        WebSocket ws = socket;
        if (!exit.isDone()) {
            end(new WrennApiException(
                    WrennApiException.Kind.STREAM_CLOSED,
                    operation,
                    capsuleId,
                    0,
                    null,
                    "the client closed the stream before the process exited",
                    null));
        }
        if (ws != null) {
            ws.abort();
        }
    }

    WebSocket.Listener listener() {
        return new Receiver();
    }

    /** The upgrade succeeded: messages may be sent on this socket. */
    void opened(WebSocket ws) {
        this.socket = ws;
    }

    /**
     * Starts the keep-alive: once nothing has come from the server for {@code interval}, a ping;
     * and the stream counts as lost when nothing at all has come back within {@code pongTimeout} of
     * that ping. A connection cut without a close frame sometimes reaches the JDK client as plain
     * silence; this is how it is noticed.
     *
     * <p>No ping goes out while output arrives or waits for the listener: output shows that the
     * connection lives, and a ping then can do harm. A server closes its connection right after
     * the exit message, and a client that reads behind it (a slow log, a busy machine) still has
     * the end of the output in its socket buffers: a ping sent then reaches a closed socket, whose
     * reset makes the client drop whatever it has not read yet, the exit message with it.
     */
    void startPinging(ScheduledExecutorService timer, Duration interval, Duration pongTimeout) {
        WebSocket ws = socket;
        if (ws == null || exit.isDone()) {
            return;
        }
        long tick = Math.max(1, interval.toMillis() / 2);
        pinger = timer.scheduleAtFixedRate(
                () -> keepAlive(ws, interval.toNanos(), pongTimeout.toNanos()), tick, tick, TimeUnit.MILLISECONDS);
        if (exit.isDone()) {
            // The stream ended while the pinger was being set up: its cancel may have come too early.
            stopPinging();
        }
    }

    private void keepAlive(WebSocket ws, long intervalNanos, long pongTimeoutNanos) {
        if (ws.isOutputClosed() || exit.isDone()) {
            return;
        }
        long now = System.nanoTime();
        if (delivering()) {
            // A slow listener is not a silent server; what it has not taken is not read yet.
            unansweredPingAt = 0;
            return;
        }
        long heard = lastHeard;
        long pingAt = unansweredPingAt;
        if (pingAt != 0 && heard - pingAt < 0) {
            if (now - pingAt >= pongTimeoutNanos) {
                unansweredPingAt = 0;
                // In order: whatever arrived before the silence reaches the listener first.
                deliver(() -> {
                    lost(
                            "the server sent nothing for " + TimeUnit.NANOSECONDS.toSeconds(now - heard)
                                    + " s, not even an answer to a keep-alive ping",
                            null);
                    ws.abort();
                });
            }
            return;
        }
        unansweredPingAt = 0;
        if (now - heard < intervalNanos) {
            return;
        }
        unansweredPingAt = now;
        ws.sendPing(ByteBuffer.allocate(0)).exceptionally(e -> {
            deliver(() -> {
                lost("the keep-alive ping failed: " + e, e);
                ws.abort();
            });
            return ws;
        });
    }

    /** Queues a task for the delivery thread, and starts one unless it runs already. */
    private void deliver(Runnable task) {
        deliver(new Delivery(task, 0));
    }

    /**
     * Queues a message for the delivery thread; true when the stream may read on, false when it
     * has paused until the listener catches up (the delivery thread then reads on).
     */
    private boolean deliverMessage(Runnable task, int chars) {
        return deliver(new Delivery(task, chars));
    }

    private boolean deliver(Delivery delivery) {
        boolean readOn;
        synchronized (queue) {
            queue.add(delivery);
            if (delivery.chars() > 0) {
                waitingChars += delivery.chars();
                readOn = backlog.arrived(waitingChars, delivery.chars());
                paused = !readOn;
            } else {
                readOn = !paused;
            }
            if (draining) {
                return readOn;
            }
            draining = true;
        }
        try {
            deliveries.execute(this::drain);
        } catch (RuntimeException e) {
            // The executor refused: nothing would deliver what is queued, so the stream ends here.
            synchronized (queue) {
                queue.clear();
                backlog.taken(waitingChars);
                waitingChars = 0;
                draining = false;
            }
            end(ApiErrors.transportFailure(operation, capsuleId, e));
        }
        return readOn;
    }

    /** Runs what is queued, in order, until nothing is left; reads on once half of a full queue is out. */
    private void drain() {
        while (true) {
            Delivery next;
            boolean readOn = false;
            synchronized (queue) {
                next = queue.poll();
                if (next == null) {
                    draining = false;
                    return;
                }
                waitingChars -= next.chars();
                backlog.taken(next.chars());
                if (paused && waitingChars < backlog.resumeBelow()) {
                    paused = false;
                    readOn = true;
                }
            }
            try {
                next.task().run();
            } catch (RuntimeException e) {
                // Nothing may stop the deliveries after this one (the stream's end among them).
                end(ApiErrors.transportFailure(operation, capsuleId, e));
            }
            WebSocket ws = socket;
            if (readOn && ws != null) {
                ws.request(1);
            }
        }
    }

    /** Whether something that arrived has not reached the listener yet. */
    private boolean delivering() {
        synchronized (queue) {
            return draining || !queue.isEmpty();
        }
    }

    private void heard() {
        lastHeard = System.nanoTime();
    }

    /**
     * Sends a message; completes once it is written, or exceptionally with a
     * {@link WrennApiException}, which also ends the stream.
     */
    CompletableFuture<Void> send(String message) {
        return socket.sendText(message, true).handle((w, e) -> {
            if (e == null) {
                return null;
            }
            // A server that refuses the stream (no such capsule, not running) says why and closes it,
            // which can beat this message out: its reason is the one to report.
            if (exit.isCompletedExceptionally() && exit.exceptionNow() instanceof WrennApiException refused) {
                throw new CompletionException(refused);
            }
            WrennApiException failure = ApiErrors.transportFailure(operation, capsuleId, Transport.unwrap(e));
            end(failure);
            throw new CompletionException(failure);
        });
    }

    private void stopPinging() {
        ScheduledFuture<?> p = pinger;
        if (p != null) {
            p.cancel(false);
        }
    }

    private void end(WrennApiException failure) {
        exit.completeExceptionally(failure);
    }

    /** The connection ended without an exit code: lost, unless this side asked to stop. */
    private void lost(String what, Throwable cause) {
        lost(what, null, cause);
    }

    private void lost(String what, String errorCode, Throwable cause) {
        if (exit.isDone()) {
            // The usual end: the server cuts the connection right after the exit code. Building a
            // failure nobody reads would cost every stream an exception on the reading thread.
            return;
        }
        WrennApiException failure = new WrennApiException(
                stopping ? WrennApiException.Kind.STREAM_CLOSED : WrennApiException.Kind.CONNECTION_LOST,
                operation,
                capsuleId,
                0,
                errorCode,
                what,
                cause);
        if (stopping || heardMessage) {
            end(failure);
            return;
        }
        explainer.explainLater("Wrenn stream end check " + capsuleId, failure, this::end);
    }

    private void handle(String text) throws IOException {
        JsonNode message = Transport.JSON.readTree(text);
        heardMessage = true;
        if (exit.isDone()) {
            // Closed, lost or ended: nothing more reaches the listener.
            return;
        }
        switch (message.path("type").asText()) {
            case "start" -> {
                pid = message.path("pid").asLong(-1);
                listener.onStart(pid);
            }
            case "stdout" -> listener.onStdout(message.path("data").asText(""));
            case "stderr" -> listener.onStderr(message.path("data").asText(""));
            case "exit" -> {
                JsonNode code = message.path("exit_code");
                if (code.canConvertToInt()) {
                    exit.complete(code.asInt());
                } else {
                    end(new WrennApiException(
                            WrennApiException.Kind.UNEXPECTED_RESPONSE,
                            operation,
                            capsuleId,
                            0,
                            null,
                            "exit message without an exit code",
                            null));
                }
            }
            case "error" ->
                end(ApiErrors.streamError(
                        operation, capsuleId, message.path("data").asText("")));
            default -> {
                // Message types this client does not know yet carry nothing it needs.
            }
        }
    }

    /** Receives messages from the JDK's WebSocket; one fragment at a time (flow control). */
    private final class Receiver implements WebSocket.Listener {

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            heard();
            partial.append(data);
            if (partial.length() > MAX_MESSAGE_CHARS) {
                fail(webSocket, "a message longer than " + MAX_MESSAGE_CHARS + " characters");
                return null;
            }
            if (!last) {
                webSocket.request(1);
                return null;
            }
            String text = partial.toString();
            partial.setLength(0);
            boolean readOn = deliverMessage(
                    () -> {
                        try {
                            handle(text);
                        } catch (IOException e) {
                            fail(webSocket, "a message that is not JSON: " + e.getMessage());
                        } catch (RuntimeException e) {
                            // The listener failed (the log could not be written, say): the stream ends with it.
                            exit.completeExceptionally(e);
                            webSocket.abort();
                        } finally {
                            heard();
                        }
                    },
                    text.length());
            if (readOn) {
                // Here, not later from the delivery thread: also after the exit message, as the end
                // of the connection needs a demand to be taken.
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            heard();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            heard();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            fail(webSocket, "a binary message");
            return null;
        }

        // The end of the connection comes after every message that arrived before it.

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            deliver(() -> lost(
                    "the server closed the stream (code " + statusCode + (reason.isEmpty() ? "" : ", " + reason)
                            + ") before the process exited",
                    null));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            if (error instanceof InternalError) {
                // The JDK took the server's close without a demand for it, after reading resumed
                // from a pause (see ListenerBacklog); the message before the close is lost.
                deliver(() -> lost(
                        "the client lost the server's last message as the server closed the stream",
                        WrennApiException.LAST_MESSAGE_LOST,
                        error));
                return;
            }
            deliver(() -> lost("the stream broke before the process exited: " + error, error));
        }

        private void fail(WebSocket webSocket, String what) {
            end(new WrennApiException(
                    WrennApiException.Kind.UNEXPECTED_RESPONSE,
                    operation,
                    capsuleId,
                    0,
                    null,
                    "the server sent " + what,
                    null));
            webSocket.abort();
        }
    }
}
