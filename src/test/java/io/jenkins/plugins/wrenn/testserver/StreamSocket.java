package io.jenkins.plugins.wrenn.testserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;

/**
 * One WebSocket of the test server: a streaming exec (first message {@code start}) or an attach to
 * a running process. Sends are serialised and blocking, so a slow client slows the process's output
 * pump instead of growing a queue.
 */
public final class StreamSocket implements Session.Listener.AutoDemanding, LocalProcess.Subscriber {

    private final WrennTestServer server;
    private final String capsuleId;
    private final String attachSelector;
    private final boolean keyOk;
    private final int dropAfter;
    private final AtomicInteger sent = new AtomicInteger();
    private long outputBytes;
    private long messages;
    private long firstSend;
    private long lastSend;
    private volatile Session session;
    private volatile LocalProcess process;
    private volatile LocalProcess.Subscriber subscription;
    private volatile boolean started;
    /** Set when the stream is to be cut: nothing more is sent, even events the start gate held. */
    private volatile boolean cut;

    StreamSocket(WrennTestServer server, ServerUpgradeRequest request, String attachSelector) {
        this.server = server;
        String path = Request.getPathInContext(request);
        this.capsuleId = path.split("/")[4];
        this.attachSelector = attachSelector;
        this.keyOk = server.keyMatches(request.getHeaders().get("X-API-Key"));
        this.dropAfter = server.takeStreamDrop();
        server.record("WS", path, null, "");
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        if (!keyOk) {
            // The real server waits for a browser-style auth message before it gives up.
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(server.authWait().toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                fail("authentication failed");
            });
            t.setDaemon(true);
            t.start();
            return;
        }
        WrennTestServer.Lookup lookup = server.lookUp(capsuleId, true);
        if (lookup instanceof WrennTestServer.Refused r) {
            fail(r.message());
            return;
        }
        if (attachSelector != null) {
            WrennTestServer.TestCapsule c = ((WrennTestServer.Found) lookup).capsule();
            LocalProcess p = WrennTestServer.find(c, attachSelector);
            if (p == null || p.exitCode() != null) {
                fail("process not found");
                return;
            }
            process = p;
            subscription = this;
            p.subscribe(this);
        }
    }

    @Override
    public void onWebSocketText(String message) {
        if (!keyOk) {
            return;
        }
        JsonNode msg;
        try {
            msg = WrennTestServer.JSON.readTree(message);
        } catch (IOException e) {
            fail("invalid message");
            return;
        }
        String type = msg.path("type").asText();
        if (type.equals("stop")) {
            detachAndClose();
        } else if (type.equals("start") && attachSelector == null && !started) {
            started = true;
            start(msg);
        }
    }

    private void start(JsonNode msg) {
        WrennTestServer.Lookup lookup = server.lookUp(capsuleId, true);
        if (lookup instanceof WrennTestServer.Refused r) {
            fail(r.message());
            return;
        }
        String cmd = msg.path("cmd").asText("");
        if (cmd.isEmpty()) {
            fail("cmd is required");
            return;
        }
        List<String> args = new ArrayList<>();
        msg.path("args").forEach(a -> args.add(a.asText()));
        // Subscribed before the process starts, so a 1 ms command loses no output.
        StartGate gate = new StartGate();
        subscription = gate;
        try {
            process = server.startProcess(
                    ((WrennTestServer.Found) lookup).capsule(), cmd, args, Map.of(), null, null, gate);
        } catch (IOException e) {
            fail("failed to start process: " + e.getMessage());
            return;
        }
        ObjectNode start = WrennTestServer.JSON.createObjectNode();
        start.put("type", "start");
        start.put("pid", process.pid());
        send(start.toString());
        gate.open(this);
    }

    @Override
    public void output(String stream, String data) {
        if (cut) {
            return;
        }
        synchronized (this) {
            outputBytes += data.getBytes(StandardCharsets.UTF_8).length;
        }
        ObjectNode m = WrennTestServer.JSON.createObjectNode();
        m.put("type", stream);
        m.put("data", data);
        send(m.toString());
        if (dropAfter >= 0 && sent.incrementAndGet() == dropAfter) {
            cut = true;
            detach();
            // A moment later, as a real cut lands: the JDK client can drop a message that arrives in
            // the same read as the end of the connection (InternalError from its demand accounting).
            CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS).execute(session::disconnect);
        }
    }

    @Override
    public void exited(int exitCode) {
        if (cut) {
            return;
        }
        ObjectNode m = WrennTestServer.JSON.createObjectNode();
        m.put("type", "exit");
        m.put("exit_code", exitCode);
        send(m.toString());
        close();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        synchronized (this) {
            server.recordStream(new WrennTestServer.StreamStats(outputBytes, messages, firstSend, lastSend, statusCode));
        }
        // Closing the stream ends only the stream: the process keeps running.
        detach();
    }

    private void detach() {
        LocalProcess p = process;
        LocalProcess.Subscriber s = subscription;
        if (p != null && s != null) {
            p.unsubscribe(s);
        }
    }

    private void detachAndClose() {
        detach();
        close();
    }

    private void fail(String message) {
        ObjectNode m = WrennTestServer.JSON.createObjectNode();
        m.put("type", "error");
        m.put("data", message);
        send(m.toString());
        close();
    }

    private synchronized void send(String text) {
        Session s = session;
        if (s == null || !s.isOpen()) {
            return;
        }
        long now = System.nanoTime();
        if (messages++ == 0) {
            firstSend = now;
        }
        lastSend = now;
        Callback.Completable done = new Callback.Completable();
        s.sendText(text, done);
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            s.disconnect();
        }
    }

    private void close() {
        Session s = session;
        if (s != null && s.isOpen()) {
            s.close(1000, null, Callback.NOOP);
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
        public synchronized void output(String stream, String data) {
            if (target != null) {
                target.output(stream, data);
            } else {
                held.add(() -> target.output(stream, data));
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
