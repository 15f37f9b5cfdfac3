package io.jenkins.plugins.wrenn.testserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.pathmap.RegexPathSpec;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * A local server that speaks the Wrenn API as {@code shared/wrenn-api.md} describes the real one,
 * quirks included, and runs the commands it is sent as real local processes (one working directory
 * per capsule). Tests start it on an ephemeral loopback port, shape capsules' states, inject faults
 * and read back what was asked of it.
 *
 * <p>Quirks kept on purpose: a foreground exec without {@code timeout_sec} (or with 0) gets 30 s
 * and then a 502; a malformed capsule id is a 400, not a 404; capsule and key problems on WebSocket
 * routes arrive as error messages after the upgrade (a bad key only after a wait); closing a stream
 * does not kill its process; a kill signal other than SIGTERM means SIGKILL.
 */
public final class WrennTestServer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    private static final Pattern CAPSULE_ID = Pattern.compile("cl-[0-9a-z]{25}");
    private static final Pattern CAPSULE = Pattern.compile("^/api/v1/capsules/([^/]+)(/.*)?$");
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

    private final String apiKey;
    private final Server jetty;
    private final ServerConnector connector;
    private final Path root;
    private final Map<String, TestCapsule> capsules = new ConcurrentHashMap<>();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final List<StreamStats> streamStats = new CopyOnWriteArrayList<>();
    private final AtomicInteger dropStreamAfter = new AtomicInteger(-1);
    private final AtomicInteger tagCounter = new AtomicInteger();
    private final SecureRandom random = new SecureRandom();
    private final ScheduledExecutorService autoPause = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "wrenn-test-auto-pause");
        t.setDaemon(true);
        return t;
    });
    private volatile Duration authWait = Duration.ofSeconds(5);
    private volatile int chunkBytes = 8192;

    /**
     * What the server sent on one stream, to tell its own send rate apart from the client's.
     *
     * @param outputBytes UTF-8 bytes of output data sent
     * @param messages messages sent
     * @param firstSendNanos {@link System#nanoTime()} of the first send
     * @param lastSendNanos {@link System#nanoTime()} of the last send
     */
    public record StreamStats(long outputBytes, long messages, long firstSendNanos, long lastSendNanos, int closeCode) {
        /** Output bytes per second between the first and the last send. */
        public double bytesPerSecond() {
            long nanos = Math.max(1, lastSendNanos - firstSendNanos);
            return outputBytes * 1e9 / nanos;
        }
    }

    /** A request as the server received it. */
    public record RecordedRequest(String method, String path, String query, String body) {}

    private record Fault(String method, Pattern path, int status, String contentType, String body, Duration delay) {}

    private WrennTestServer(String apiKey) throws Exception {
        this.apiKey = apiKey;
        this.root = Files.createTempDirectory("wrenn-test-server");
        this.jetty = new Server();
        this.connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        WebSocketUpgradeHandler ws = WebSocketUpgradeHandler.from(jetty, container -> {
            container.setIdleTimeout(Duration.ofMinutes(10));
            container.addMapping(
                    new RegexPathSpec("^/api/v1/capsules/[^/]+/exec/stream$"),
                    (req, resp, cb) -> upgradeRefused(req, resp, cb) ? null : new StreamSocket(this, req, null));
            container.addMapping(
                    new RegexPathSpec("^/api/v1/capsules/[^/]+/processes/[^/]+/stream$"),
                    (req, resp, cb) -> upgradeRefused(req, resp, cb)
                            ? null
                            : new StreamSocket(this, req, selectorOf(Request.getPathInContext(req))));
        });
        ws.setHandler(new Api());
        jetty.setHandler(ws);
        jetty.start();
        autoPause.scheduleAtFixedRate(this::pauseIdleCapsules, 100, 100, TimeUnit.MILLISECONDS);
    }

    /** Starts a server on an ephemeral loopback port that accepts exactly this API key. */
    public static WrennTestServer start(String apiKey) throws Exception {
        return new WrennTestServer(apiKey);
    }

    /** The base URL to give the client, e.g. {@code http://127.0.0.1:41234/api}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/api");
    }

    // ---- test controls

    /** Creates a running capsule and returns its id, in the server's {@code cl-} format. */
    public String createCapsule() {
        return newCapsule("base", 0).id;
    }

    /** Sets a capsule's status, e.g. {@code paused} or {@code stopped}. */
    public void setStatus(String capsuleId, String status) {
        capsule(capsuleId).status = status;
    }

    public String status(String capsuleId) {
        return capsule(capsuleId).status;
    }

    /** Makes the server pause the capsule once it has been idle this long (0: never). */
    public void setIdleTimeout(String capsuleId, int seconds) {
        TestCapsule c = capsule(capsuleId);
        c.timeoutSec = seconds;
        c.lastActive = Instant.now();
    }

    /** The capsule's working directory on this machine. */
    public Path workDir(String capsuleId) {
        return capsule(capsuleId).workDir;
    }

    /** The processes the capsule still has running (foreground execs excluded). */
    public List<LocalProcess> processes(String capsuleId) {
        return capsule(capsuleId).processes.values().stream()
                .sorted(Comparator.comparingLong(LocalProcess::pid))
                .toList();
    }

    /** How long a WebSocket with a wrong key waits for a browser-style auth message (5 s on the real server). */
    public void setAuthWait(Duration wait) {
        this.authWait = wait;
    }

    /** The largest piece of output one stream message carries. */
    public void setChunkBytes(int bytes) {
        this.chunkBytes = bytes;
    }

    /**
     * Answers the next request matching method and path pattern with this status and body instead;
     * a WebSocket upgrade is a {@code GET} of its path.
     */
    public void failNext(String method, String pathRegex, int status, String contentType, String body) {
        faults.add(new Fault(method, Pattern.compile(pathRegex), status, contentType, body, null));
    }

    /** Delays the next request matching method and path pattern, then handles it normally. */
    public void delayNext(String method, String pathRegex, Duration delay) {
        faults.add(new Fault(method, Pattern.compile(pathRegex), 0, null, null, delay));
    }

    /** Cuts the next stream opened (exec or attach) without a close frame after this many output messages. */
    public void dropNextStreamAfter(int outputMessages) {
        dropStreamAfter.set(outputMessages);
    }

    /** Send statistics of every stream that has closed, oldest first. */
    public List<StreamStats> streamStats() {
        return List.copyOf(streamStats);
    }

    void recordStream(StreamStats stats) {
        streamStats.add(stats);
    }

    /** Every request received so far, WebSocket upgrades included. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** The requests whose method and path match. */
    public List<RecordedRequest> requests(String method, String pathRegex) {
        Pattern p = Pattern.compile(pathRegex);
        return requests.stream()
                .filter(r -> r.method().equals(method) && p.matcher(r.path()).matches())
                .toList();
    }

    @Override
    public void close() throws Exception {
        autoPause.shutdownNow();
        for (TestCapsule c : capsules.values()) {
            killAll(c);
        }
        jetty.stop();
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    // ---- state

    static final class TestCapsule {
        final String id;
        final String template;
        final Path workDir;
        final Instant createdAt = Instant.now();
        final Map<Long, LocalProcess> processes = new ConcurrentHashMap<>();
        volatile String status = "running";
        volatile int timeoutSec;
        volatile Instant lastActive = Instant.now();

        TestCapsule(String id, String template, Path workDir, int timeoutSec) {
            this.id = id;
            this.template = template;
            this.workDir = workDir;
            this.timeoutSec = timeoutSec;
        }
    }

    private TestCapsule newCapsule(String template, int timeoutSec) {
        StringBuilder id = new StringBuilder("cl-");
        for (int i = 0; i < 25; i++) {
            id.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        try {
            Path dir = Files.createDirectories(root.resolve(id.toString()));
            TestCapsule c = new TestCapsule(id.toString(), template, dir, timeoutSec);
            capsules.put(c.id, c);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TestCapsule capsule(String id) {
        TestCapsule c = capsules.get(id);
        if (c == null) {
            throw new IllegalArgumentException("no capsule " + id);
        }
        return c;
    }

    private void pauseIdleCapsules() {
        Instant now = Instant.now();
        for (TestCapsule c : capsules.values()) {
            if (c.timeoutSec > 0
                    && "running".equals(c.status)
                    && c.lastActive.plusSeconds(c.timeoutSec).isBefore(now)) {
                c.status = "paused";
            }
        }
    }

    private static void killAll(TestCapsule c) {
        for (LocalProcess p : c.processes.values()) {
            p.signal(true);
        }
    }

    /** The capsule a request names, or an API error to answer instead. */
    sealed interface Lookup permits Found, Refused {}

    record Found(TestCapsule capsule) implements Lookup {}

    record Refused(int status, String code, String message) implements Lookup {}

    Lookup lookUp(String id, boolean mustRun) {
        if (!CAPSULE_ID.matcher(id).matches()) {
            return new Refused(400, "invalid_request", "invalid sandbox ID");
        }
        TestCapsule c = capsules.get(id);
        if (c == null) {
            return new Refused(404, "not_found", "sandbox not found");
        }
        if (mustRun && !"running".equals(c.status)) {
            return new Refused(409, "invalid_state", "sandbox is not running (status: " + c.status + ")");
        }
        return new Found(c);
    }

    boolean keyMatches(String key) {
        return apiKey.equals(key);
    }

    Duration authWait() {
        return authWait;
    }

    int takeStreamDrop() {
        return dropStreamAfter.getAndSet(-1);
    }

    void record(String method, String path, String query, String body) {
        requests.add(new RecordedRequest(method, path, query, body));
    }

    /**
     * A queued fault answers a WebSocket upgrade too, as a proxy in front would; the creator then
     * returns null, which leaves the upgrade refused with that answer.
     */
    private boolean upgradeRefused(Request request, Response response, Callback callback) throws InterruptedException {
        return applyFault(request.getMethod(), Request.getPathInContext(request), response, callback);
    }

    static String selectorOf(String path) {
        String[] parts = path.split("/");
        return parts[parts.length - 2];
    }

    LocalProcess startProcess(
            TestCapsule c,
            String cmd,
            List<String> args,
            Map<String, String> envs,
            String cwd,
            String tag,
            LocalProcess.Subscriber first)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(cmd);
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwdOf(c, cwd).toFile());
        pb.environment().putAll(envs);
        Process process = pb.start();
        c.lastActive = Instant.now();
        String realTag = tag != null && !tag.isEmpty() ? tag : "proc-" + String.format("%08x", tagCounter.incrementAndGet());
        LocalProcess p = new LocalProcess(process, realTag, cmd, args, chunkBytes);
        if (first != null) {
            p.subscribe(first);
        }
        c.processes.put(p.pid(), p);
        p.start(done -> c.processes.remove(done.pid()));
        return p;
    }

    private static Path cwdOf(TestCapsule c, String cwd) {
        if (cwd == null || cwd.isEmpty()) {
            return c.workDir;
        }
        Path p = Path.of(cwd);
        return p.isAbsolute() ? p : c.workDir.resolve(p);
    }

    static LocalProcess find(TestCapsule c, String selector) {
        if (selector.chars().allMatch(Character::isDigit)) {
            return c.processes.get(Long.parseLong(selector));
        }
        return c.processes.values().stream()
                .filter(p -> p.tag().equals(selector))
                .findFirst()
                .orElse(null);
    }

    /** Answers or delays a request as a queued fault says; true when the request has been answered. */
    private boolean applyFault(String method, String path, Response response, Callback callback)
            throws InterruptedException {
        for (Iterator<Fault> it = faults.iterator(); it.hasNext(); ) {
            Fault f = it.next();
            if (f.method().equals(method) && f.path().matcher(path).matches() && faults.remove(f)) {
                if (f.delay() != null) {
                    Thread.sleep(f.delay().toMillis());
                    return false;
                }
                response.setStatus(f.status());
                if (f.contentType() != null) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, f.contentType());
                }
                Content.Sink.write(response, true, f.body() == null ? "" : f.body(), callback);
                return true;
            }
        }
        return false;
    }

    // ---- HTTP routes

    private final class Api extends Handler.Abstract {

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = Request.getPathInContext(request);
            String method = request.getMethod();
            String body = Content.Source.asString(request, StandardCharsets.UTF_8);
            record(method, path, request.getHttpURI().getQuery(), body);
            if (applyFault(method, path, response, callback)) {
                return true;
            }
            if (!keyMatches(request.getHeaders().get("X-API-Key"))) {
                return error(response, callback, 401, "unauthorized", "invalid API key");
            }
            if (path.equals("/api/v1/capsules")) {
                return switch (method) {
                    case "GET" -> json(response, callback, 200, listCapsules());
                    case "POST" -> create(response, callback, body);
                    default -> error(response, callback, 405, "method_not_allowed", "method not allowed");
                };
            }
            Matcher m = CAPSULE.matcher(path);
            if (!m.matches()) {
                return error(response, callback, 404, "not_found", "no such route");
            }
            String id = m.group(1);
            String rest = m.group(2) == null ? "" : m.group(2);
            Fields query = Request.extractQueryParameters(request);
            return route(method, id, rest, body, query, response, callback);
        }

        private boolean route(
                String method, String id, String rest, String body, Fields query, Response response, Callback callback)
                throws Exception {
            boolean mustRun = rest.equals("/exec") || rest.equals("/ping") || rest.startsWith("/processes");
            Lookup lookup = lookUp(id, mustRun);
            if (lookup instanceof Refused r) {
                return error(response, callback, r.status(), r.code(), r.message());
            }
            TestCapsule c = ((Found) lookup).capsule();
            switch (method + " " + rest) {
                case "GET " -> {
                    return json(response, callback, 200, capsuleJson(c));
                }
                case "DELETE " -> {
                    killAll(c);
                    capsules.remove(c.id);
                    return empty(response, callback, 204);
                }
                case "POST /pause" -> {
                    c.status = "paused";
                    return json(response, callback, 200, capsuleJson(c));
                }
                case "POST /resume" -> {
                    c.status = "running";
                    c.lastActive = Instant.now();
                    return json(response, callback, 200, capsuleJson(c));
                }
                case "POST /ping" -> {
                    c.lastActive = Instant.now();
                    return empty(response, callback, 204);
                }
                case "POST /exec" -> {
                    return exec(c, body, response, callback);
                }
                case "GET /processes" -> {
                    ObjectNode out = JSON.createObjectNode();
                    ArrayNode list = out.putArray("processes");
                    for (LocalProcess p : processes(c.id)) {
                        ObjectNode n = list.addObject();
                        n.put("pid", p.pid());
                        n.put("tag", p.tag());
                        n.put("cmd", p.cmd());
                        n.putPOJO("args", p.args());
                    }
                    return json(response, callback, 200, out);
                }
                default -> {
                    if (method.equals("DELETE") && rest.startsWith("/processes/")) {
                        LocalProcess p = find(c, rest.substring("/processes/".length()));
                        if (p == null) {
                            return error(response, callback, 404, "not_found", "process not found");
                        }
                        p.signal(!"SIGTERM".equals(query.getValue("signal")));
                        return empty(response, callback, 204);
                    }
                    return error(response, callback, 404, "not_found", "no such route");
                }
            }
        }

        private boolean create(Response response, Callback callback, String body) throws IOException {
            JsonNode spec = body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
            TestCapsule c = newCapsule(
                    spec.path("template").asText("base"), spec.path("timeout_sec").asInt(0));
            return json(response, callback, 201, capsuleJson(c));
        }

        private boolean exec(TestCapsule c, String body, Response response, Callback callback) throws Exception {
            JsonNode req;
            try {
                req = JSON.readTree(body);
            } catch (IOException e) {
                return error(response, callback, 400, "invalid_request", "invalid JSON body");
            }
            String cmd = req.path("cmd").asText("");
            if (cmd.isEmpty()) {
                return error(response, callback, 400, "invalid_request", "cmd is required");
            }
            List<String> args = new ArrayList<>();
            req.path("args").forEach(a -> args.add(a.asText()));
            if (req.path("background").asBoolean(false)) {
                Map<String, String> envs = new ConcurrentHashMap<>();
                req.path("envs").properties().forEach(e -> envs.put(e.getKey(), e.getValue().asText()));
                LocalProcess p;
                try {
                    p = startProcess(c, cmd, args, envs, req.path("cwd").asText(null), req.path("tag").asText(null), null);
                } catch (IOException e) {
                    return error(response, callback, 502, "agent_error", "failed to start process: " + e.getMessage());
                }
                ObjectNode out = JSON.createObjectNode();
                out.put("sandbox_id", c.id);
                out.put("cmd", cmd);
                out.put("pid", p.pid());
                out.put("tag", p.tag());
                return json(response, callback, 202, out);
            }
            // Foreground: envs and cwd are ignored here, as on the real server.
            int timeoutSec = req.path("timeout_sec").asInt(0);
            return runForeground(c, cmd, args, timeoutSec <= 0 ? 30 : timeoutSec, response, callback);
        }

        private boolean runForeground(
                TestCapsule c, String cmd, List<String> args, int timeoutSec, Response response, Callback callback)
                throws Exception {
            List<String> command = new ArrayList<>();
            command.add(cmd);
            command.addAll(args);
            long started = System.nanoTime();
            c.lastActive = Instant.now();
            Process process;
            try {
                process = new ProcessBuilder(command).directory(c.workDir.toFile()).start();
            } catch (IOException e) {
                return error(response, callback, 502, "agent_error", "failed to start process: " + e.getMessage());
            }
            Collector out = new Collector(process.getInputStream());
            Collector err = new Collector(process.getErrorStream());
            if (!process.waitFor(timeoutSec, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                return error(response, callback, 502, "agent_error", "command timed out after " + timeoutSec + "s");
            }
            byte[] stdout = out.bytes();
            byte[] stderr = err.bytes();
            boolean text = isUtf8(stdout) && isUtf8(stderr);
            ObjectNode result = JSON.createObjectNode();
            result.put("sandbox_id", c.id);
            result.put("cmd", cmd);
            result.put("stdout", encode(stdout, text));
            result.put("stderr", encode(stderr, text));
            result.put("exit_code", process.exitValue());
            result.put("duration_ms", (System.nanoTime() - started) / 1_000_000);
            result.put("encoding", text ? "utf-8" : "base64");
            return json(response, callback, 200, result);
        }
    }

    private ArrayNode listCapsules() {
        ArrayNode list = JSON.createArrayNode();
        capsules.values().stream()
                .sorted(Comparator.comparing(c -> c.createdAt))
                .forEach(c -> list.add(capsuleJson(c)));
        return list;
    }

    private static ObjectNode capsuleJson(TestCapsule c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", c.id);
        n.put("status", c.status);
        n.put("template", c.template);
        n.put("vcpus", 1);
        n.put("memory_mb", 512);
        n.put("timeout_sec", c.timeoutSec);
        n.put("created_at", c.createdAt.toString());
        n.put("started_at", c.createdAt.toString());
        n.put("last_active_at", c.lastActive.toString());
        n.put("last_updated", Instant.now().toString());
        return n;
    }

    private static boolean json(Response response, Callback callback, int status, JsonNode body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, body.toString(), callback);
        return true;
    }

    private static boolean empty(Response response, Callback callback, int status) {
        response.setStatus(status);
        callback.succeeded();
        return true;
    }

    private static boolean error(Response response, Callback callback, int status, String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("code", code);
        error.put("message", message);
        return json(response, callback, status, body);
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static String encode(byte[] bytes, boolean text) {
        return text ? new String(bytes, StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(bytes);
    }

    /** Reads a whole output pipe on its own thread, so a chatty process never blocks on a full pipe. */
    private static final class Collector {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Thread thread;

        Collector(InputStream in) {
            thread = new Thread(() -> {
                try (in) {
                    in.transferTo(bytes);
                } catch (IOException e) {
                    // The pipe closed with the process; what was read is kept.
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        byte[] bytes() throws InterruptedException {
            thread.join();
            return bytes.toByteArray();
        }
    }
}
