package io.jenkins.plugins.wrenn.testserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
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
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
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
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * A local server that speaks the Wrenn API as the real server's source does, quirks included, in
 * either {@link ServerGeneration}, and runs the commands it is sent as real local processes, started,
 * signalled and listed as the capsule's daemon does ({@link CapsuleDaemon}; each capsule has a
 * HOME and a TMPDIR of its own in the server's directory). {@code docs/test-server.md} lists what
 * it models and from which source file. Tests start it on an ephemeral loopback port, shape capsules'
 * states, inject faults and read back what was asked of it.
 *
 * <p>Quirks kept on purpose: a foreground exec without {@code timeout_sec} (or with 0) gets 30 s
 * and then a 502; a malformed capsule id is a 400, not a 404; capsule problems on WebSocket routes
 * arrive as error messages after the upgrade; every stream ends with a TCP close right after its
 * last message, without a WebSocket close frame (the real server's WebSocket library closes the
 * socket, not the protocol); closing a stream does not kill its process; a kill signal other than
 * SIGTERM means SIGKILL; a process a signal ended reports exit code -1; output chunks are decoded
 * one by one, so a character split between two chunks arrives as U+FFFD replacement characters.
 *
 * <p>Clients reach it through {@link FaultRelay}, a TCP relay that can freeze a connection; and,
 * like a proxy that does not speak h2c, it drops the body of a request carrying {@code Upgrade: h2c}
 * unless {@link #setH2cRefused(boolean)} turns that off.
 */
public final class WrennTestServer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    private static final Pattern CAPSULE_ID = Pattern.compile("cl-[0-9a-z]{25}");
    private static final Pattern CAPSULE = Pattern.compile("^/api/v1/capsules/([^/]+)(/.*)?$");
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final String REQUEST_ID_HEADER = "X-Request-ID";

    private final String apiKey;
    private final ServerGeneration generation;
    private final Server jetty;
    private final ServerConnector connector;
    private final FaultRelay relay;
    private final Path root;
    private final Map<String, TestCapsule> capsules = new ConcurrentHashMap<>();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final List<AnswerFault> answerFaults = new CopyOnWriteArrayList<>();
    private final List<StreamStats> streamStats = new CopyOnWriteArrayList<>();
    private final AtomicInteger dropStreamAfter = new AtomicInteger(-1);
    private final AtomicInteger silenceStreamAfter = new AtomicInteger(-1);
    private final AtomicReference<Duration> startReplyDelay = new AtomicReference<>();
    private final AtomicInteger tagCounter = new AtomicInteger();
    private final AtomicReference<CreateFault> createFault = new AtomicReference<>();
    private final FileRoutes files = new FileRoutes(this);
    private final CapsuleRoutes capsuleRoutes = new CapsuleRoutes(this);
    private final SecureRandom random = new SecureRandom();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "wrenn-test-timers");
        t.setDaemon(true);
        return t;
    });
    private volatile Duration authWait = Duration.ofSeconds(5);
    private volatile Duration transitionDelay = Duration.ofSeconds(1);
    private volatile int chunkBytes = 8192;
    private volatile boolean h2cRefused = true;
    /** Whether transitions that come due wait for {@link #releaseTransitions()}; guarded by heldTransitions. */
    private boolean transitionsHeld;
    /** Transitions that came due while held, in the order they did. */
    private final List<Runnable> heldTransitions = new ArrayList<>();

    /**
     * What the server sent on one stream, to tell its own send rate apart from the client's.
     *
     * @param outputBytes UTF-8 bytes of output data sent
     * @param messages messages sent
     * @param firstSendNanos {@link System#nanoTime()} of the first send
     * @param lastSendNanos {@link System#nanoTime()} of the last send
     * @param closeCode the close code Jetty reported when the stream ended (1006 for the TCP close
     *     every stream ends with)
     */
    public record StreamStats(long outputBytes, long messages, long firstSendNanos, long lastSendNanos, int closeCode) {
        /** Output bytes per second between the first and the last send. */
        public double bytesPerSecond() {
            long nanos = Math.max(1, lastSendNanos - firstSendNanos);
            return outputBytes * 1e9 / nanos;
        }
    }

    /**
     * A request as the server received it; WebSocket upgrades have the method {@code WS}.
     *
     * @param headers header names in lower case, each with its values joined by {@code ", "}
     * @param body the body as the server read it (empty when an h2c upgrade made it drop the body)
     */
    public record RecordedRequest(String method, String path, String query, String body, Map<String, String> headers) {}

    private record Fault(
            String method,
            Pattern path,
            int status,
            String contentType,
            String body,
            boolean withRequestId,
            Duration delay) {}

    /**
     * What happens to the answer of a request that has taken effect: it comes late, or never (the
     * connection is cut instead).
     */
    private record AnswerFault(String method, Pattern path, Duration delay, boolean lost) {}

    /**
     * An error answer of the real server.
     *
     * @param details CURRENT only: extra client-visible facts, such as the capsule's status
     */
    record ApiError(int status, String code, String message, boolean retryable, Map<String, String> details) {
        ApiError(int status, String code, String message) {
            this(status, code, message, false, Map.of());
        }
    }

    private WrennTestServer(String apiKey, ServerGeneration generation) throws Exception {
        this.apiKey = apiKey;
        this.generation = generation;
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
                    (req, resp, cb) -> upgrade(req, resp, cb, false));
            container.addMapping(
                    new RegexPathSpec("^/api/v1/capsules/[^/]+/processes/[^/]+/stream$"),
                    (req, resp, cb) -> upgrade(req, resp, cb, true));
        });
        ws.setHandler(new Api());
        jetty.setHandler(ws);
        jetty.start();
        this.relay = new FaultRelay(connector.getLocalPort());
        timers.scheduleAtFixedRate(this::pauseIdleCapsules, 100, 100, TimeUnit.MILLISECONDS);
        timers.scheduleAtFixedRate(capsuleRoutes::sample, 500, 500, TimeUnit.MILLISECONDS);
    }

    /** Starts a server like Wrenn v0.1.5 on an ephemeral loopback port that accepts exactly this API key. */
    public static WrennTestServer start(String apiKey) throws Exception {
        return start(apiKey, ServerGeneration.V0_1_5);
    }

    /** Starts a server of this generation on an ephemeral loopback port that accepts exactly this API key. */
    public static WrennTestServer start(String apiKey, ServerGeneration generation) throws Exception {
        return new WrennTestServer(apiKey, generation);
    }

    /** The generation this server behaves like. */
    public ServerGeneration generation() {
        return generation;
    }

    /** The base URL to give the client, e.g. {@code http://127.0.0.1:41234/api}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + relay.port() + "/api");
    }

    // ---- test controls

    /** Creates a running capsule (1 vCPU, 512 MiB) and returns its id, in the server's {@code cl-} format. */
    public String createCapsule() {
        return newCapsule("base", 0, "running").id;
    }

    /** The files routes, with their faults. */
    public FileRoutes files() {
        return files;
    }

    /** The capsule routes: plan limits, metrics samples, transitions, metadata. */
    public CapsuleRoutes capsuleRoutes() {
        return capsuleRoutes;
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

    /** The capsule's HOME on this machine: its processes' default working directory. */
    public Path workDir(String capsuleId) {
        return capsule(capsuleId).workDir;
    }

    /** The capsule's TMPDIR on this machine, a directory of its own in the server's directory. */
    public Path tmpDir(String capsuleId) {
        return capsule(capsuleId).daemon.tmp();
    }

    /**
     * The processes the capsule's daemon lists, foreground execs excluded (the daemon lists those
     * too), so that a test sees what a command left running.
     */
    public List<LocalProcess> processes(String capsuleId) {
        return capsule(capsuleId).daemon.list().stream()
                .filter(p -> !p.foreground())
                .toList();
    }

    /** V0_1_5: how long a WebSocket with a wrong key waits for a first message (5 s on the real server). */
    public void setAuthWait(Duration wait) {
        this.authWait = wait;
    }

    /** CURRENT: how long create, pause, resume and delete stay in their transitional status (default 1 s). */
    public void setTransitionDelay(Duration delay) {
        this.transitionDelay = delay;
    }

    /**
     * From now on, a transition that comes due (starting, pausing, resuming, stopping, or one set
     * with {@link CapsuleRoutes#transition}) keeps its capsule in the transitional status until
     * {@link #releaseTransitions()}, so that a test sees that status however loaded the machine
     * is, rather than only within the delay. As on the real server, nothing is held unless a test
     * asks; a test that holds releases in a {@code finally}, as the server may be shared.
     */
    public void holdTransitions() {
        synchronized (heldTransitions) {
            transitionsHeld = true;
        }
    }

    /** Ends {@link #holdTransitions()}: the transitions that came due meanwhile complete now, in order. */
    public void releaseTransitions() {
        List<Runnable> due;
        synchronized (heldTransitions) {
            transitionsHeld = false;
            due = List.copyOf(heldTransitions);
            heldTransitions.clear();
        }
        due.forEach(timers::execute);
    }

    /** The largest piece of output one stream message carries. */
    public void setChunkBytes(int bytes) {
        this.chunkBytes = bytes;
    }

    /**
     * Whether a request carrying {@code Upgrade: h2c} loses its body, as behind a server or proxy
     * that does not speak h2c and mishandles the upgrade (default true).
     */
    public void setH2cRefused(boolean refused) {
        this.h2cRefused = refused;
    }

    /**
     * Answers the next request matching method and path pattern with this status and body instead,
     * as a proxy in front would (no request id); a WebSocket upgrade is a {@code GET} of its path.
     */
    public void failNext(String method, String pathRegex, int status, String contentType, String body) {
        faults.add(new Fault(method, Pattern.compile(pathRegex), status, contentType, body, false, null));
    }

    /**
     * Answers the next matching request with an error of the server itself, in this generation's
     * envelope: CURRENT adds {@code request_id} (also as {@code X-Request-ID}) and {@code retryable}.
     */
    public void failNextWithError(
            String method, String pathRegex, int status, String code, String message, boolean retryable) {
        String body = errorBody(new ApiError(status, code, message, retryable, Map.of()), "%REQUEST_ID%");
        faults.add(new Fault(method, Pattern.compile(pathRegex), status, "application/json", body, true, null));
    }

    /** Delays the next request matching method and path pattern, then handles it normally. */
    public void delayNext(String method, String pathRegex, Duration delay) {
        faults.add(new Fault(method, Pattern.compile(pathRegex), 0, null, null, false, delay));
    }

    /**
     * Handles the next request matching method and path pattern normally, then holds its answer this
     * long, as a slow network or a busy server does: the request has taken effect (a process runs,
     * a capsule exists) while the client still waits.
     */
    public void delayNextAnswer(String method, String pathRegex, Duration delay) {
        answerFaults.add(new AnswerFault(method, Pattern.compile(pathRegex), delay, false));
    }

    /**
     * Handles the next request matching method and path pattern normally, then cuts its connection
     * instead of answering, as a network that loses the answer: the request has taken effect, and
     * the client never learns it.
     */
    public void loseNextAnswer(String method, String pathRegex) {
        answerFaults.add(new AnswerFault(method, Pattern.compile(pathRegex), null, true));
    }

    /**
     * Cuts the next stream opened (exec or attach) at the TCP level, without a close frame, right
     * after this many output messages have been flushed (0: right after its {@code start}); the
     * process keeps running.
     */
    public void dropNextStreamAfter(int outputMessages) {
        dropStreamAfter.set(outputMessages);
    }

    /**
     * Makes the next stream opened (exec or attach) go silent after this many output messages (0:
     * right after its {@code start}): nothing more is sent, pings are not answered, and the
     * connection is never closed from the server's side; the process keeps running.
     */
    public void silenceNextStreamAfter(int outputMessages) {
        silenceStreamAfter.set(outputMessages);
    }

    /**
     * Holds the {@code start} reply of the next exec stream this long after its process started,
     * as a slow network or a busy server does: the process runs while the client has no pid yet.
     */
    public void delayNextStartReply(Duration delay) {
        startReplyDelay.set(delay);
    }

    /** Makes the next capsule created misbehave this way (the create call itself succeeds). */
    public void failNextCreate(CreateFault fault) {
        createFault.set(fault);
    }

    /**
     * The ids of capsules created or known that have not been destroyed (V0_1_5 forgets them,
     * CURRENT stops them; a broken one counts as gone, as the real server's list leaves it out and
     * its destroy does nothing).
     */
    public List<String> capsulesLeft() {
        return capsules.values().stream()
                .filter(c -> !"stopped".equals(c.status) && !"error".equals(c.status))
                .map(c -> c.id)
                .toList();
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
    public void close() throws IOException {
        timers.shutdownNow();
        for (TestCapsule c : capsules.values()) {
            killAll(c);
        }
        relay.close();
        stopJetty();
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * Jetty's {@code stop()} declares any exception; close() narrows it to an I/O failure, so that
     * try-with-resources does not have to expect an InterruptedException from it.
     */
    private void stopJetty() throws IOException {
        try {
            jetty.stop();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("The test server did not stop: " + e, e);
        }
    }

    // ---- state

    static final class TestCapsule {
        final String id;
        final String template;
        final CapsuleDaemon daemon;
        final Path workDir;
        final Instant createdAt = Instant.now();
        volatile String status;
        volatile int timeoutSec;
        volatile Instant lastActive = Instant.now();
        volatile int vcpus = 1;
        volatile int memoryMb = 512;
        volatile Map<String, String> metadata = Map.of();

        TestCapsule(String id, String template, CapsuleDaemon daemon, int timeoutSec, String status) {
            this.id = id;
            this.template = template;
            this.daemon = daemon;
            this.workDir = daemon.home();
            this.timeoutSec = timeoutSec;
            this.status = status;
        }
    }

    TestCapsule newCapsule(String template, int timeoutSec, String status) {
        StringBuilder id = new StringBuilder("cl-");
        for (int i = 0; i < 25; i++) {
            id.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        CapsuleDaemon daemon = new CapsuleDaemon(root.resolve(id.toString()), id.toString(), template, generation);
        TestCapsule c = new TestCapsule(id.toString(), template, daemon, timeoutSec, status);
        capsules.put(c.id, c);
        return c;
    }

    TestCapsule capsule(String id) {
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

    Collection<TestCapsule> allCapsules() {
        return capsules.values();
    }

    /** V0_1_5: a destroyed capsule is forgotten at once. */
    void forget(TestCapsule c) {
        killAll(c);
        capsules.remove(c.id);
    }

    Duration transitionDelay() {
        return transitionDelay;
    }

    /**
     * Moves a capsule from its transitional status to the target after the delay (or once released,
     * when {@link #holdTransitions() held}), unless its status changed meanwhile.
     */
    void transition(TestCapsule c, String transitional, String target, Duration delay, Runnable then) {
        c.status = transitional;
        Runnable complete = () -> {
            if (transitional.equals(c.status)) {
                then.run();
                c.status = target;
                c.lastActive = Instant.now();
            }
        };
        timers.schedule(
                () -> {
                    synchronized (heldTransitions) {
                        if (transitionsHeld) {
                            heldTransitions.add(complete);
                            return;
                        }
                    }
                    complete.run();
                },
                delay.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Ends every process of the capsule, as the end of its VM does. */
    static void killAll(TestCapsule c) {
        c.daemon.destroy();
    }

    // ---- errors, in the words of each generation

    boolean current() {
        return generation == ServerGeneration.CURRENT;
    }

    ApiError invalidId() {
        return current()
                ? new ApiError(400, "invalid_request", "Invalid sandbox ID.")
                : new ApiError(400, "invalid_request", "invalid sandbox ID");
    }

    private ApiError notFound() {
        return current()
                ? new ApiError(404, "sandbox_not_found", "Sandbox not found.")
                : new ApiError(404, "not_found", "sandbox not found");
    }

    ApiError notRunning(String status) {
        return current()
                ? new ApiError(409, "sandbox_not_running", "Sandbox is not running.", false, Map.of("status", status))
                : new ApiError(409, "invalid_state", "sandbox is not running (status: " + status + ")");
    }

    ApiError badKey(String key) {
        if (key == null || key.isEmpty()) {
            return current()
                    ? new ApiError(401, "auth_session_required", "A valid session or API key is required.")
                    : new ApiError(401, "unauthorized", "X-API-Key or Authorization: Bearer <token> required");
        }
        return current()
                ? new ApiError(401, "auth_invalid_api_key", "Invalid API key.")
                : new ApiError(401, "unauthorized", "invalid API key");
    }

    ApiError invalidJson() {
        return current()
                ? new ApiError(400, "invalid_request", "Invalid JSON body.")
                : new ApiError(400, "invalid_request", "invalid JSON body");
    }

    /** The capsule a request names, or the error to answer instead (HTTP) or to send (as a stream message). */
    sealed interface Lookup permits Found, Refused {}

    record Found(TestCapsule capsule) implements Lookup {}

    record Refused(ApiError http, String streamMessage) implements Lookup {}

    Lookup lookUp(String id, boolean mustRun) {
        if (!CAPSULE_ID.matcher(id).matches()) {
            return new Refused(invalidId(), "invalid sandbox ID");
        }
        TestCapsule c = capsules.get(id);
        if (c == null) {
            return new Refused(notFound(), "sandbox not found");
        }
        if (mustRun && !"running".equals(c.status)) {
            // Stream routes word it the same way in both generations.
            return new Refused(notRunning(c.status), "sandbox is not running (status: " + c.status + ")");
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

    int takeStreamSilence() {
        return silenceStreamAfter.getAndSet(-1);
    }

    Duration takeStartReplyDelay() {
        return startReplyDelay.getAndSet(null);
    }

    /** How many relayed connections a silenced stream has frozen and are still open. */
    int frozenConnections() {
        return relay.frozenConnections();
    }

    /** Freezes the relayed connection a WebSocket session came in on (see {@link FaultRelay#freeze(int)}). */
    void freeze(SocketAddress sessionRemote) {
        relay.freeze(((InetSocketAddress) sessionRemote).getPort());
    }

    void record(String method, String path, String query, String body, HttpFields headers) {
        Map<String, String> h = new LinkedHashMap<>();
        for (HttpField f : headers) {
            h.merge(f.getLowerCaseName(), f.getValue(), (a, b) -> a + ", " + b);
        }
        requests.add(new RecordedRequest(method, path, query, body, Map.copyOf(h)));
    }

    /**
     * The WebSocket upgrade, checked as the real handlers do before upgrading: a queued fault
     * answers it as a proxy would; a malformed capsule id is a 400; in CURRENT a wrong or missing
     * key is a 401. Returning null leaves the upgrade refused with the answer written here.
     */
    private StreamSocket upgrade(
            ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback, boolean attach)
            throws InterruptedException {
        String path = Request.getPathInContext(request);
        record("WS", path, request.getHttpURI().getQuery(), "", request.getHeaders());
        String requestId = current() ? newRequestId() : null;
        if (requestId != null) {
            response.getHeaders().put(REQUEST_ID_HEADER, requestId);
        }
        if (applyFault(request.getMethod(), path, response, callback, requestId)) {
            return null;
        }
        String capsuleId = path.split("/")[4];
        if (!CAPSULE_ID.matcher(capsuleId).matches()) {
            error(response, callback, invalidId(), requestId);
            return null;
        }
        String key = request.getHeaders().get("X-API-Key");
        boolean keyOk = keyMatches(key);
        if (!keyOk && current()) {
            error(response, callback, badKey(key), requestId);
            return null;
        }
        return new StreamSocket(this, capsuleId, attach ? selectorOf(path) : null, keyOk);
    }

    static String selectorOf(String path) {
        String[] parts = path.split("/");
        return parts[parts.length - 2];
    }

    /**
     * Starts a process in the capsule as its daemon does.
     *
     * @throws CapsuleDaemon.StartRefused when the daemon refuses the start (a missing cwd)
     */
    LocalProcess startProcess(
            TestCapsule c,
            String cmd,
            List<String> args,
            Map<String, String> envs,
            String cwd,
            String tag,
            LocalProcess.Subscriber first)
            throws IOException, CapsuleDaemon.StartRefused {
        c.lastActive = Instant.now();
        return c.daemon.start(cmd, args, envs, cwd, tag, false, first, chunkBytes);
    }

    static LocalProcess find(TestCapsule c, String selector) {
        return c.daemon.find(selector);
    }

    /** Answers or delays a request as a queued fault says; true when the request has been answered. */
    boolean applyFault(String method, String path, Response response, Callback callback, String requestId)
            throws InterruptedException {
        for (Fault f : faults) {
            if (f.method().equals(method) && f.path().matcher(path).matches() && faults.remove(f)) {
                if (f.delay() != null) {
                    Thread.sleep(f.delay().toMillis());
                    return false;
                }
                if (!f.withRequestId()) {
                    response.getHeaders().remove(REQUEST_ID_HEADER);
                }
                response.setStatus(f.status());
                if (f.contentType() != null) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, f.contentType());
                }
                String body = f.body() == null ? "" : f.body();
                if (f.withRequestId() && requestId != null) {
                    body = body.replace("%REQUEST_ID%", requestId);
                }
                Content.Sink.write(response, true, body, callback);
                return true;
            }
        }
        return false;
    }

    String newRequestId() {
        byte[] b = new byte[8];
        random.nextBytes(b);
        return "req_" + HexFormat.of().formatHex(b);
    }

    // ---- HTTP routes

    private final class Api extends Handler.Abstract {

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = Request.getPathInContext(request);
            String method = request.getMethod();
            if (FileRoutes.handles(path)) {
                return files.handle(request, response, callback);
            }
            String body = Content.Source.asString(request, StandardCharsets.UTF_8);
            String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
            if (h2cRefused
                    && upgrade != null
                    && upgrade.toLowerCase(Locale.ROOT).contains("h2c")) {
                // What a server or proxy that mishandles the h2c upgrade does to such a request.
                body = "";
            }
            record(method, path, request.getHttpURI().getQuery(), body, request.getHeaders());
            String requestId = current() ? newRequestId() : null;
            if (requestId != null) {
                response.getHeaders().put(REQUEST_ID_HEADER, requestId);
            }
            AnswerFault late = takeAnswerFault(method, path);
            int remotePort =
                    ((InetSocketAddress) request.getConnectionMetaData().getRemoteSocketAddress()).getPort();
            Answer answer = new Answer(response, callback, requestId, late, remotePort);
            if (applyFault(method, path, response, callback, requestId)) {
                return true;
            }
            String key = request.getHeaders().get("X-API-Key");
            if (!keyMatches(key)) {
                return answer.error(badKey(key));
            }
            if (path.equals("/api/v1/capsules")) {
                return switch (method) {
                    case "GET" -> answer.json(200, capsuleRoutes.list());
                    case "POST" -> capsuleRoutes.create(answer, body, createFault.getAndSet(null));
                    default -> answer.routeNotFound(405);
                };
            }
            Matcher m = CAPSULE.matcher(path);
            if (!m.matches()) {
                return answer.routeNotFound(404);
            }
            String id = m.group(1);
            String rest = m.group(2) == null ? "" : m.group(2);
            Fields query = Request.extractQueryParameters(request);
            return route(method, id, rest, body, query, answer);
        }

        private boolean route(String method, String id, String rest, String body, Fields query, Answer answer)
                throws Exception {
            boolean mustRun = rest.equals("/exec") || rest.equals("/ping") || rest.startsWith("/processes");
            Lookup lookup = lookUp(id, mustRun);
            if (lookup instanceof Refused r) {
                return answer.error(r.http());
            }
            TestCapsule c = ((Found) lookup).capsule();
            if (CapsuleRoutes.handles(method, rest)) {
                return capsuleRoutes.handle(method, c, rest, query, answer);
            }
            switch (method + " " + rest) {
                case "POST /ping" -> {
                    c.lastActive = Instant.now();
                    return answer.empty(204);
                }
                case "POST /exec" -> {
                    return exec(c, body, answer);
                }
                case "GET /processes" -> {
                    ObjectNode out = JSON.createObjectNode();
                    ArrayNode list = out.putArray("processes");
                    for (LocalProcess p : c.daemon.list()) {
                        ObjectNode n = list.addObject();
                        n.put("pid", p.pid());
                        if (p.tag() != null) {
                            n.put("tag", p.tag());
                        }
                        n.put("cmd", p.cmd());
                        if (!p.args().isEmpty()) {
                            n.putPOJO("args", p.args());
                        }
                    }
                    return answer.json(200, out);
                }
                default -> {
                    if (method.equals("DELETE") && rest.startsWith("/processes/")) {
                        LocalProcess p = find(c, rest.substring("/processes/".length()));
                        if (p == null) {
                            return answer.error(
                                    current()
                                            ? new ApiError(404, "not_found", "Process not found.")
                                            : new ApiError(404, "not_found", "process not found"));
                        }
                        if (!c.daemon.signal(p, !"SIGTERM".equals(query.getValue("signal")))) {
                            // envd's kill() failed (no process left in the group): an internal error.
                            return answer.error(new ApiError(
                                    502, "agent_error", "kill process: error sending signal: ESRCH: No such process"));
                        }
                        return answer.empty(204);
                    }
                    return answer.routeNotFound(404);
                }
            }
        }

        private boolean exec(TestCapsule c, String body, Answer answer) throws Exception {
            JsonNode req;
            try {
                req = JSON.readTree(body);
            } catch (IOException e) {
                req = null;
            }
            if (req == null || !req.isObject()) {
                return answer.error(invalidJson());
            }
            String cmd = req.path("cmd").asText("");
            if (cmd.isEmpty()) {
                return answer.error(new ApiError(400, "invalid_request", "cmd is required"));
            }
            List<String> args = new ArrayList<>();
            req.path("args").forEach(a -> args.add(a.asText()));
            if (req.path("background").asBoolean(false)) {
                Map<String, String> envs = new ConcurrentHashMap<>();
                req.path("envs")
                        .properties()
                        .forEach(e -> envs.put(e.getKey(), e.getValue().asText()));
                String tag = req.path("tag").asText("");
                if (tag.isEmpty()) {
                    tag = "proc-" + String.format("%08x", tagCounter.incrementAndGet());
                }
                LocalProcess p;
                try {
                    p = startProcess(c, cmd, args, envs, req.path("cwd").asText(null), tag, null);
                } catch (CapsuleDaemon.StartRefused e) {
                    return answer.error(new ApiError(
                            502,
                            "agent_error",
                            "start background: start background process: invalid_argument: " + e.getMessage()));
                } catch (IOException e) {
                    return answer.error(new ApiError(502, "agent_error", "failed to start process: " + e.getMessage()));
                }
                ObjectNode out = JSON.createObjectNode();
                out.put("sandbox_id", c.id);
                out.put("cmd", cmd);
                out.put("pid", p.pid());
                out.put("tag", p.tag());
                return answer.json(202, out);
            }
            // Foreground: v0.1.5 passes only cmd and args to the daemon; newer servers honour envs and cwd.
            int timeoutSec = req.path("timeout_sec").asInt(0);
            Map<String, String> envs = new LinkedHashMap<>();
            String cwd = null;
            if (current()) {
                req.path("envs")
                        .properties()
                        .forEach(e -> envs.put(e.getKey(), e.getValue().asText()));
                cwd = req.path("cwd").asText(null);
            }
            return runForeground(c, cmd, args, envs, cwd, timeoutSec <= 0 ? 30 : timeoutSec, answer);
        }

        /**
         * A foreground exec: the daemon's process, read to its end. When the timeout runs out the
         * answer is an error and the process keeps running, as the host agent only gives up its
         * stream to the daemon.
         */
        private boolean runForeground(
                TestCapsule c,
                String cmd,
                List<String> args,
                Map<String, String> envs,
                String cwd,
                int timeoutSec,
                Answer answer)
                throws Exception {
            long started = System.nanoTime();
            c.lastActive = Instant.now();
            Collector collected = new Collector();
            try {
                c.daemon.start(cmd, args, envs, cwd, null, true, collected, chunkBytes);
            } catch (CapsuleDaemon.StartRefused e) {
                return answer.error(
                        new ApiError(502, "agent_error", "exec: start process: invalid_argument: " + e.getMessage()));
            } catch (IOException e) {
                return answer.error(new ApiError(502, "agent_error", "failed to start process: " + e.getMessage()));
            }
            Integer exitCode = collected.await(timeoutSec);
            if (exitCode == null) {
                return answer.error(new ApiError(502, "agent_error", "command timed out after " + timeoutSec + "s"));
            }
            byte[] stdout = collected.stdout.toByteArray();
            byte[] stderr = collected.stderr.toByteArray();
            boolean text = isUtf8(stdout) && isUtf8(stderr);
            ObjectNode result = JSON.createObjectNode();
            result.put("sandbox_id", c.id);
            result.put("cmd", cmd);
            result.put("stdout", encode(stdout, text));
            result.put("stderr", encode(stderr, text));
            result.put("exit_code", exitCode);
            result.put("duration_ms", (System.nanoTime() - started) / 1_000_000);
            result.put("encoding", text ? "utf-8" : "base64");
            return answer.json(200, result);
        }
    }

    private AnswerFault takeAnswerFault(String method, String path) {
        for (AnswerFault f : answerFaults) {
            if (f.method().equals(method) && f.path().matcher(path).matches() && answerFaults.remove(f)) {
                return f;
            }
        }
        return null;
    }

    /**
     * Writes one HTTP answer; carries the request id a CURRENT server puts into error bodies, and
     * what a queued {@link AnswerFault} does to the answer.
     */
    final class Answer {
        private final Response response;
        private final Callback callback;
        private final String requestId;
        private final AnswerFault late;
        private final int remotePort;

        Answer(Response response, Callback callback, String requestId, AnswerFault late, int remotePort) {
            this.response = response;
            this.callback = callback;
            this.requestId = requestId;
            this.late = late;
            this.remotePort = remotePort;
        }

        /** Applies the answer fault, if any; true when the answer is lost, and so already done with. */
        private boolean lost() {
            if (late == null) {
                return false;
            }
            if (late.delay() != null) {
                try {
                    Thread.sleep(late.delay().toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (late.lost()) {
                relay.cut(remotePort);
                callback.failed(new IOException("the answer was lost on its way back"));
                return true;
            }
            return false;
        }

        boolean json(int status, JsonNode body) {
            if (lost()) {
                return true;
            }
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            Content.Sink.write(response, true, body.toString(), callback);
            return true;
        }

        boolean empty(int status) {
            if (lost()) {
                return true;
            }
            response.setStatus(status);
            callback.succeeded();
            return true;
        }

        boolean error(ApiError e) {
            if (lost()) {
                return true;
            }
            return WrennTestServer.this.error(response, callback, e, requestId);
        }

        /** The router's own answer for an unknown route or method: plain text, not the JSON envelope. */
        boolean routeNotFound(int status) {
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
            Content.Sink.write(response, true, status == 404 ? "404 page not found\n" : "", callback);
            return true;
        }
    }

    boolean error(Response response, Callback callback, ApiError e, String requestId) {
        response.setStatus(e.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, errorBody(e, requestId), callback);
        return true;
    }

    /** The error envelope of this generation (field order as the real server's structs). */
    private String errorBody(ApiError e, String requestId) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("code", e.code());
        error.put("message", e.message());
        if (current()) {
            if (requestId != null) {
                error.put("request_id", requestId);
            }
            error.put("retryable", e.retryable());
            if (!e.details().isEmpty()) {
                ObjectNode details = error.putObject("details");
                e.details().forEach(details::put);
            }
        }
        return body.toString();
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
        return text
                ? new String(bytes, StandardCharsets.UTF_8)
                : Base64.getEncoder().encodeToString(bytes);
    }

    /** Keeps all the output of a foreground exec, and its exit code once its pipes have closed. */
    private static final class Collector implements LocalProcess.Subscriber {
        private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();

        @Override
        public void output(String stream, byte[] data, int length) {
            ByteArrayOutputStream to = stream.equals("stdout") ? stdout : stderr;
            synchronized (to) {
                to.write(data, 0, length);
            }
        }

        @Override
        public void exited(int exitCode) {
            exit.complete(exitCode);
        }

        /** The exit code, or null when the process still runs after this many seconds. */
        Integer await(int seconds) throws InterruptedException {
            try {
                return exit.get(seconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                return null;
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
