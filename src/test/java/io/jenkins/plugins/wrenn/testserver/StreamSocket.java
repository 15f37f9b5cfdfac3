package io.jenkins.plugins.wrenn.testserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * One WebSocket of the test server: a streaming exec (first message {@code start}) or an attach to
 * a running process. Sends are serialised and blocking, so a slow client slows the process's output
 * pump instead of growing a queue.
 *
 * <p>Like the real server, it never sends a close frame: after its last message ({@code exit} or
 * {@code error}), after a {@code stop}, or when an attach finds nothing to attach to (CURRENT), it
 * closes the TCP connection at once.
 */
public final class StreamSocket implements Session.Listener.AutoDemanding, LocalProcess.Subscriber {

    private final WrennTestServer server;
    private final String capsuleId;
    private final String attachSelector;
    private final boolean keyOk;
    private final int dropAfter;
    private final int silenceAfter;
    /** How long the {@code start} reply is held after the process started; null: not at all. */
    private final Duration startReplyDelay;

    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicBoolean authFailed = new AtomicBoolean();
    private long outputBytes;
    private long messages;
    private long firstSend;
    private long lastSend;
    private volatile Session session;
    private volatile WrennTestServer.TestCapsule capsule;
    private volatile LocalProcess process;
    private volatile LocalProcess.Subscriber subscription;
    private volatile boolean started;
    /** Set once nothing more may be sent: the stream was cut, silenced or has ended. */
    private volatile boolean done;

    StreamSocket(WrennTestServer server, String capsuleId, String attachSelector, boolean keyOk) {
        this.server = server;
        this.capsuleId = capsuleId;
        this.attachSelector = attachSelector;
        this.keyOk = keyOk;
        this.dropAfter = server.takeStreamDrop();
        this.silenceAfter = server.takeStreamSilence();
        this.startReplyDelay = server.takeStartReplyDelay();
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        if (!keyOk) {
            // V0_1_5: no valid key on the upgrade, so the first message must authenticate the
            // browser way; a client that sends nothing is given up on after the read deadline.
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(server.authWait().toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                failAuthentication();
            });
            t.setDaemon(true);
            t.start();
            return;
        }
        WrennTestServer.Lookup lookup = server.lookUp(capsuleId, true);
        if (lookup instanceof WrennTestServer.Refused r) {
            fail(r.streamMessage());
            return;
        }
        capsule = ((WrennTestServer.Found) lookup).capsule();
        if (attachSelector != null) {
            attach();
        }
    }

    private void attach() {
        LocalProcess p = WrennTestServer.find(capsule, attachSelector);
        StartGate gate = new StartGate();
        if (p != null) {
            p.subscribe(gate);
            if (p.exitCode() != null) {
                // It ended before the subscription took: nothing would ever reach this stream.
                p.unsubscribe(gate);
                p = null;
            }
        }
        if (p == null) {
            if (server.generation() == ServerGeneration.CURRENT) {
                // The host agent's attach stream just ends, so the control plane sends nothing.
                end();
            } else {
                fail("failed to connect to process: process not found");
            }
            return;
        }
        process = p;
        subscription = gate;
        sendStart(p.pid());
        gate.open(this);
    }

    @Override
    public void onWebSocketText(String message) {
        if (!keyOk) {
            // Anything but a valid browser token fails at once; an API key has no token to give.
            failAuthentication();
            return;
        }
        if (attachSelector != null || capsule == null) {
            // The attach route reads the client's messages only to notice that it went away.
            return;
        }
        if (started) {
            JsonNode msg = parse(message);
            if (msg != null && "stop".equals(msg.path("type").asText())) {
                detach();
                end();
            }
            return;
        }
        started = true;
        JsonNode msg = parse(message);
        if (msg == null) {
            fail("failed to read start message: invalid character in JSON");
            return;
        }
        String cmd = msg.path("cmd").asText("");
        if (!"start".equals(msg.path("type").asText()) || cmd.isEmpty()) {
            fail("first message must be type 'start' with a 'cmd' field");
            return;
        }
        start(cmd, msg);
    }

    private static JsonNode parse(String message) {
        try {
            return WrennTestServer.JSON.readTree(message);
        } catch (IOException e) {
            return null;
        }
    }

    private void start(String cmd, JsonNode msg) {
        List<String> args = new ArrayList<>();
        msg.path("args").forEach(a -> args.add(a.asText()));
        // Subscribed before the process starts, so a 1 ms command loses no output.
        StartGate gate = new StartGate();
        subscription = gate;
        try {
            process = server.startProcess(capsule, cmd, args, Map.of(), null, null, gate);
        } catch (IOException | CapsuleDaemon.StartRefused e) {
            fail("failed to start exec stream: " + e.getMessage());
            return;
        }
        if (startReplyDelay != null) {
            try {
                Thread.sleep(startReplyDelay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        sendStart(process.pid());
        gate.open(this);
    }

    private void sendStart(long pid) {
        ObjectNode start = WrennTestServer.JSON.createObjectNode();
        start.put("type", "start");
        start.put("pid", pid);
        send(start.toString());
        faultAfter(0);
    }

    @Override
    public void output(String stream, byte[] bytes, int length) {
        if (done) {
            return;
        }
        // Each read is one message, decoded on its own as the real server does: a character cut by
        // the chunk boundary arrives as replacement characters.
        String data = Utf8Chunk.decode(bytes, length);
        synchronized (this) {
            outputBytes += data.getBytes(StandardCharsets.UTF_8).length;
        }
        ObjectNode m = WrennTestServer.JSON.createObjectNode();
        m.put("type", stream);
        m.put("data", data);
        send(m.toString());
        faultAfter(sent.incrementAndGet());
    }

    /** Applies a queued drop or silence once this many output messages have been flushed. */
    private void faultAfter(int outputMessages) {
        if (dropAfter == outputMessages) {
            detach();
            end();
        } else if (silenceAfter == outputMessages) {
            done = true;
            detach();
            Session s = session;
            // Jetty itself must stay quiet too: no idle-timeout close while the client waits.
            s.setIdleTimeout(Duration.ofDays(1));
            server.freeze(s.getRemoteSocketAddress());
        }
    }

    @Override
    public void exited(int exitCode) {
        if (done) {
            return;
        }
        ObjectNode m = WrennTestServer.JSON.createObjectNode();
        m.put("type", "exit");
        m.put("exit_code", exitCode);
        send(m.toString());
        end();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        synchronized (this) {
            server.recordStream(
                    new WrennTestServer.StreamStats(outputBytes, messages, firstSend, lastSend, statusCode));
        }
        // Closing the stream ends only the stream: the process keeps running.
        detach();
        callback.succeed();
    }

    private void detach() {
        LocalProcess p = process;
        LocalProcess.Subscriber s = subscription;
        if (p != null && s != null) {
            p.unsubscribe(s);
        }
    }

    private void failAuthentication() {
        if (authFailed.compareAndSet(false, true)) {
            fail("authentication failed");
        }
    }

    private void fail(String message) {
        ObjectNode m = WrennTestServer.JSON.createObjectNode();
        m.put("type", "error");
        m.put("data", message);
        send(m.toString());
        end();
    }

    private synchronized void send(String text) {
        Session s = session;
        if (done || s == null || !s.isOpen()) {
            return;
        }
        long now = System.nanoTime();
        if (messages++ == 0) {
            firstSend = now;
        }
        lastSend = now;
        Callback.Completable flushed = new Callback.Completable();
        s.sendText(text, flushed);
        try {
            flushed.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            s.disconnect();
        }
    }

    /** Closes the TCP connection right away, with no close frame, as the real server does. */
    private synchronized void end() {
        done = true;
        Session s = session;
        if (s != null) {
            s.disconnect();
        }
    }

    /**
     * Holds output until the {@code start} message is out, so the client always sees the pid
     * first, as from the real server.
     */
    private static final class StartGate implements LocalProcess.Subscriber {
        private final List<Runnable> held = new ArrayList<>();
        private LocalProcess.Subscriber target;

        @Override
        public synchronized void output(String stream, byte[] data, int length) {
            if (target != null) {
                target.output(stream, data, length);
            } else {
                byte[] copy = Arrays.copyOf(data, length);
                held.add(() -> target.output(stream, copy, copy.length));
            }
        }

        @Override
        public synchronized void exited(int exitCode) {
            if (target != null) {
                target.exited(exitCode);
            } else {
                held.add(() -> target.exited(exitCode));
            }
        }

        synchronized void open(LocalProcess.Subscriber to) {
            target = to;
            held.forEach(Runnable::run);
            held.clear();
        }
    }
}
