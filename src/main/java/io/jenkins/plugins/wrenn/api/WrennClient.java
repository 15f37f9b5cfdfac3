package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client for one Wrenn API endpoint and API key. Every method either returns what the API
 * answered or throws a {@link WrennApiException} whose kind tells 404, 409, 401/403, 5xx, timeouts
 * and connection failures apart. Reads that change nothing (get and list) are retried on
 * connection failures and 502/503; anything that starts or changes something is sent once.
 *
 * <p>Close the client when done: it owns its {@link HttpClient} and a keep-alive timer.
 */
public final class WrennClient implements AutoCloseable {

    /** The hosted service, the official SDK's default. */
    public static final URI DEFAULT_BASE_URL = URI.create("https://app.wrenn.dev/api");

    /** The server's foreground timeout when the request names none. */
    static final int SERVER_DEFAULT_TIMEOUT_SEC = 30;

    private static final String API_KEY_HEADER = "X-API-Key";
    private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);

    private static final Duration CLOSE_WAIT = Duration.ofSeconds(1);

    private final URI baseUrl;
    private final String apiKey;
    private final HttpClient http;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final int readAttempts;
    private final Duration firstBackoff;
    private final Duration keepAliveInterval;
    private final Duration pongTimeout;
    private final ScheduledExecutorService keepAlive;

    private WrennClient(Builder b) {
        this.baseUrl = b.baseUrl;
        this.apiKey = b.apiKey;
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
        this.readAttempts = b.readAttempts;
        this.firstBackoff = b.firstBackoff;
        this.keepAliveInterval = b.keepAliveInterval;
        this.pongTimeout = b.pongTimeout;
        // Left at HTTP/2, the JDK offers cleartext requests an "Upgrade: h2c"; servers and proxies that
        // do not speak h2c may then drop the request body. HTTPS negotiates HTTP/2 through ALPN instead.
        if ("http".equalsIgnoreCase(b.baseUrl.getScheme())) {
            b.httpClient.version(HttpClient.Version.HTTP_1_1);
        }
        this.http = b.httpClient.connectTimeout(b.connectTimeout).build();
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "Wrenn WebSocket keep-alive");
            t.setDaemon(true);
            return t;
        });
        // Every stream cancels its pinger when it ends; most end long before their first ping is due.
        timer.setRemoveOnCancelPolicy(true);
        this.keepAlive = timer;
    }

    /**
     * Starts a client for an API base URL such as {@code https://app.wrenn.dev/api}.
     *
     * @throws IllegalArgumentException naming the field when the URL or key is unusable
     */
    public static Builder builder(URI baseUrl, String apiKey) {
        return new Builder(baseUrl, apiKey);
    }

    /** Settings of a {@link WrennClient}; each has a default fit for the hosted service. */
    public static final class Builder {
        private final URI baseUrl;
        private final String apiKey;
        private HttpClient.Builder httpClient = HttpClient.newBuilder();
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private int readAttempts = 3;
        private Duration firstBackoff = Duration.ofMillis(500);
        private Duration keepAliveInterval = Duration.ofSeconds(5);
        private Duration pongTimeout = Duration.ofSeconds(5);

        private Builder(URI baseUrl, String apiKey) {
            this.baseUrl = checkBaseUrl(baseUrl);
            if (apiKey == null || apiKey.isBlank()) {
                throw new IllegalArgumentException("API key: must not be empty");
            }
            this.apiKey = apiKey;
        }

        /** The HTTP client to build on, e.g. one that carries Jenkins' proxy settings. */
        public Builder httpClient(HttpClient.Builder builder) {
            this.httpClient = Objects.requireNonNull(builder, "httpClient");
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connect timeout");
            return this;
        }

        /** How long any request but a foreground exec may take; a foreground exec gets its own timeout on top. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "request timeout");
            return this;
        }

        /** How often reads are tried in all, and the first pause between tries (doubled each time). */
        public Builder readRetries(int attempts, Duration firstBackoff) {
            if (attempts < 1) {
                throw new IllegalArgumentException("read attempts: must be at least 1, got " + attempts);
            }
            this.readAttempts = attempts;
            this.firstBackoff = Objects.requireNonNull(firstBackoff, "firstBackoff");
            return this;
        }

        /**
         * How often an open stream is pinged (the server sends no pings of its own), and how long
         * after a ping silence means the connection is gone. The defaults notice a silent
         * connection within 15 s.
         */
        public Builder keepAlive(Duration interval, Duration pongTimeout) {
            this.keepAliveInterval = positive(interval, "keep-alive interval");
            this.pongTimeout = positive(pongTimeout, "pong timeout");
            return this;
        }

        public WrennClient build() {
            return new WrennClient(this);
        }

        private static Duration positive(Duration d, String field) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(field + ": must be a positive duration, got " + d);
            }
            return d;
        }
    }

    /**
     * Checks an API base URL: http or https, a host, no query or fragment. Returns it without a
     * trailing slash.
     *
     * @throws IllegalArgumentException naming the field
     */
    public static URI checkBaseUrl(URI url) {
        if (url == null) {
            throw new IllegalArgumentException("API base URL: must not be empty");
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("API base URL: must start with http:// or https://, got " + url);
        }
        if (url.getHost() == null || url.getHost().isEmpty()) {
            throw new IllegalArgumentException("API base URL: has no host: " + url);
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            throw new IllegalArgumentException("API base URL: must not have a query or fragment: " + url);
        }
        String text = url.toString();
        return URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
    }

    /**
     * Checks a capsule id the way every server accepts: not empty, no slash, no white space. The
     * format itself ({@code cl-...}, {@code cap_...}) is left to the server.
     *
     * @throws IllegalArgumentException naming the field
     */
    public static String checkCapsuleId(String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("capsule id: must not be empty");
        }
        if (id.indexOf('/') >= 0 || id.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("capsule id: must not contain '/' or white space, got '" + id + "'");
        }
        return id;
    }

    public URI baseUrl() {
        return baseUrl;
    }

    // ---- capsules

    public Capsule getCapsule(String id) throws WrennApiException, InterruptedException {
        return read("get capsule", id, capsulePath(id), in -> JSON.readValue(in, Capsule.class));
    }

    public List<Capsule> listCapsules() throws WrennApiException, InterruptedException {
        return read("list capsules", null, "/v1/capsules", in -> Arrays.asList(JSON.readValue(in, Capsule[].class)));
    }

    public Capsule createCapsule(CapsuleSpec spec) throws WrennApiException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        if (spec.template() != null) {
            body.put("template", spec.template());
        }
        putPositive(body, "vcpus", spec.vcpus());
        putPositive(body, "memory_mb", spec.memoryMb());
        putPositive(body, "timeout_sec", spec.timeoutSec());
        return send(
                "create capsule",
                null,
                post("/v1/capsules", body, requestTimeout),
                in -> JSON.readValue(in, Capsule.class),
                false);
    }

    public void destroyCapsule(String id) throws WrennApiException, InterruptedException {
        send("destroy capsule", id, request(capsulePath(id)).DELETE().build(), in -> null, false);
    }

    public Capsule pauseCapsule(String id) throws WrennApiException, InterruptedException {
        return send(
                "pause capsule",
                id,
                post(capsulePath(id) + "/pause", null, requestTimeout),
                in -> JSON.readValue(in, Capsule.class),
                false);
    }

    public Capsule resumeCapsule(String id) throws WrennApiException, InterruptedException {
        return send(
                "resume capsule",
                id,
                post(capsulePath(id) + "/resume", null, requestTimeout),
                in -> JSON.readValue(in, Capsule.class),
                false);
    }

    /** Marks the capsule active, so the server does not pause it under a long-running command. */
    public void pingCapsule(String id) throws WrennApiException, InterruptedException {
        send("ping capsule", id, post(capsulePath(id) + "/ping", null, requestTimeout), in -> null, false);
    }

    // ---- exec

    /**
     * Runs a command and waits for it; returns its outputs as strings. For outputs of unknown size
     * prefer {@link #exec(String, ExecRequest, OutputStream, OutputStream)}.
     */
    public ExecResult exec(String id, ExecRequest request) throws WrennApiException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecCompletion done = exec(id, request, out, err);
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
    public ExecCompletion exec(String id, ExecRequest request, OutputStream stdout, OutputStream stderr)
            throws WrennApiException, InterruptedException {
        if (request.background()) {
            throw new IllegalArgumentException("background: use startBackground for a background exec");
        }
        int serverTimeout = request.timeoutSec() == null || request.timeoutSec() == 0
                ? SERVER_DEFAULT_TIMEOUT_SEC
                : request.timeoutSec();
        Duration timeout = requestTimeout.plusSeconds(serverTimeout);
        return send("exec", id, post(capsulePath(id) + "/exec", execBody(request), timeout), in -> {
            try (ExecResponseReader answer = new ExecResponseReader(in).read()) {
                answer.writeTo(stdout, stderr);
                return new ExecCompletion(answer.exitCode(), answer.durationMs());
            }
        }, false);
    }

    /** Starts a command in the background and returns its pid and tag at once. */
    public BackgroundProcess startBackground(String id, ExecRequest request)
            throws WrennApiException, InterruptedException {
        if (!request.background()) {
            throw new IllegalArgumentException("background: use exec for a foreground exec");
        }
        return send(
                "start background process",
                id,
                post(capsulePath(id) + "/exec", execBody(request), requestTimeout),
                in -> {
                    JsonNode node = JSON.readTree(in);
                    if (!node.path("pid").canConvertToLong()) {
                        throw new IOException("no pid in the answer");
                    }
                    return new BackgroundProcess(
                            node.path("pid").asLong(), node.path("tag").asText(null));
                },
                false);
    }

    private static ObjectNode execBody(ExecRequest request) {
        ObjectNode body = JSON.createObjectNode();
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

    // ---- processes

    public List<ProcessInfo> listProcesses(String id) throws WrennApiException, InterruptedException {
        return read("list processes", id, capsulePath(id) + "/processes", in -> {
            JsonNode list = JSON.readTree(in).path("processes");
            return list.isArray() ? Arrays.asList(JSON.treeToValue(list, ProcessInfo[].class)) : List.of();
        });
    }

    /**
     * Sends a signal to a process.
     *
     * @param selector a numeric pid or a tag
     */
    public void killProcess(String id, String selector, Signal signal) throws WrennApiException, InterruptedException {
        String path = capsulePath(id) + "/processes/" + encode(checkSelector(selector)) + "?signal=" + signal.name();
        send("kill process " + selector, id, request(path).DELETE().build(), in -> null, false);
    }

    private static String checkSelector(String selector) {
        if (selector == null || selector.isBlank()) {
            throw new IllegalArgumentException("process: give a pid or a tag");
        }
        return selector;
    }

    // ---- streaming

    /**
     * Runs a command over the streaming WebSocket. Output reaches the listener as the process
     * writes it; {@link ProcessStream#exitCode()} completes with the exit code. Capsule problems
     * (not found, not running, bad key) arrive after the upgrade, with the same kinds as their HTTP
     * twins: they complete it exceptionally, or are thrown from here when they came before the
     * command could be sent.
     */
    public ProcessStream streamExec(String id, String cmd, List<String> args, StreamListener listener)
            throws WrennApiException, InterruptedException {
        if (cmd == null || cmd.isBlank()) {
            throw new IllegalArgumentException("cmd: the command must not be empty");
        }
        ProcessStream stream = openStream("exec stream", id, capsulePath(id) + "/exec/stream", listener);
        try {
            stream.start(cmd, args);
        } catch (WrennApiException e) {
            stream.close();
            throw e;
        }
        return stream;
    }

    /**
     * Attaches to a running process's output. Output written before the attach is not replayed,
     * and a process that already exited cannot be attached to.
     *
     * @param selector a numeric pid or a tag
     */
    public ProcessStream attach(String id, String selector, StreamListener listener)
            throws WrennApiException, InterruptedException {
        String path = capsulePath(id) + "/processes/" + encode(checkSelector(selector)) + "/stream";
        return openStream("attach to process " + selector, id, path, listener);
    }

    private ProcessStream openStream(String operation, String id, String path, StreamListener listener)
            throws WrennApiException, InterruptedException {
        Objects.requireNonNull(listener, "listener");
        URI uri = webSocketUri(path);
        ProcessStream stream = new ProcessStream(operation, id, listener);
        CompletableFuture<WebSocket> opening = http.newWebSocketBuilder()
                .header(API_KEY_HEADER, apiKey)
                .connectTimeout(connectTimeout)
                .buildAsync(uri, stream.listener());
        WebSocket socket;
        try {
            socket = opening.get(connectTimeout.plus(requestTimeout).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            opening.cancel(true);
            throw e;
        } catch (TimeoutException e) {
            opening.cancel(true);
            throw new WrennApiException(
                    WrennApiException.Kind.TIMEOUT, operation, id, 0, null, "no WebSocket upgrade in time", e);
        } catch (ExecutionException e) {
            throw streamOpenFailure(operation, id, e.getCause());
        }
        stream.opened(socket, keepAlive, keepAliveInterval, pongTimeout);
        return stream;
    }

    private WrennApiException streamOpenFailure(String operation, String id, Throwable cause) {
        if (cause instanceof WebSocketHandshakeException handshake) {
            HttpResponse<?> response = handshake.getResponse();
            Object body = response.body();
            String text = body instanceof String s ? s : null;
            return errorFor(operation, id, response, text, handshake);
        }
        return transportFailure(operation, id, cause);
    }

    private URI webSocketUri(String path) {
        String base = baseUrl.toString();
        String ws = base.regionMatches(true, 0, "https:", 0, 6)
                ? "wss:" + base.substring("https:".length())
                : "ws:" + base.substring("http:".length());
        return URI.create(ws + path);
    }

    // ---- plumbing

    @FunctionalInterface
    private interface BodyReader<T> {
        T read(InputStream in) throws IOException;
    }

    private static String capsulePath(String id) {
        return "/v1/capsules/" + encode(checkCapsuleId(id));
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void putPositive(ObjectNode body, String field, int value) {
        if (value > 0) {
            body.put(field, value);
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(requestTimeout)
                .header(API_KEY_HEADER, apiKey)
                .header("Accept", "application/json");
    }

    private HttpRequest post(String path, JsonNode body, Duration timeout) {
        return request(path)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8))
                .build();
    }

    private <T> T read(String operation, String id, String path, BodyReader<T> reader)
            throws WrennApiException, InterruptedException {
        return send(operation, id, request(path).GET().build(), reader, true);
    }

    private <T> T send(String operation, String id, HttpRequest request, BodyReader<T> reader, boolean idempotent)
            throws WrennApiException, InterruptedException {
        Duration backoff = firstBackoff;
        for (int attempt = 1; ; attempt++) {
            try {
                return sendOnce(operation, id, request, reader);
            } catch (WrennApiException e) {
                if (!idempotent || attempt >= readAttempts || !isRetryable(e)) {
                    throw e;
                }
                Thread.sleep(backoff.toMillis());
                backoff = backoff.multipliedBy(2);
            }
        }
    }

    /**
     * Whether a read may be sent again: after a transport failure, or when the server says so.
     * Servers of the first generation do not say; their 502 and 503 are passing host troubles.
     */
    private static boolean isRetryable(WrennApiException e) {
        if (e.kind() == WrennApiException.Kind.CONNECTION_FAILED || e.kind() == WrennApiException.Kind.CONNECTION_LOST) {
            return true;
        }
        if (e.retryable() != null) {
            return e.retryable();
        }
        return e.httpStatus() == 502 || e.httpStatus() == 503;
    }

    private <T> T sendOnce(String operation, String id, HttpRequest request, BodyReader<T> reader)
            throws WrennApiException, InterruptedException {
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw transportFailure(operation, id, e);
        }
        int status = response.statusCode();
        try (InputStream in = response.body()) {
            if (status >= 200 && status < 300) {
                try {
                    return reader.read(in);
                } catch (IOException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new InterruptedException("interrupted while reading the answer to " + operation);
                    }
                    throw new WrennApiException(
                            e instanceof JacksonException || e instanceof ExecResponseReader.MalformedAnswerException
                                    ? WrennApiException.Kind.UNEXPECTED_RESPONSE
                                    : WrennApiException.Kind.CONNECTION_LOST,
                            operation,
                            id,
                            status,
                            null,
                            "unreadable answer: " + e.getMessage(),
                            e);
                }
            }
            byte[] head = in.readNBytes(MAX_ERROR_BODY_BYTES);
            throw errorFor(operation, id, response, new String(head, StandardCharsets.UTF_8), null);
        } catch (IOException e) {
            if (e instanceof WrennApiException w) {
                throw w;
            }
            throw transportFailure(operation, id, e);
        }
    }

    private static String contentType(HttpResponse<?> response) {
        return response.headers().firstValue("Content-Type").orElse("");
    }

    static WrennApiException transportFailure(String operation, String id, Throwable e) {
        if (e instanceof WrennApiException w) {
            return w;
        }
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException) {
            return new WrennApiException(
                    WrennApiException.Kind.CONNECTION_FAILED, operation, id, 0, null, "could not connect: " + e, e);
        }
        if (e instanceof HttpTimeoutException) {
            return new WrennApiException(
                    WrennApiException.Kind.TIMEOUT, operation, id, 0, null, "no answer in time", e);
        }
        if (e instanceof CancellationException) {
            return new WrennApiException(WrennApiException.Kind.STREAM_CLOSED, operation, id, 0, null, "cancelled", e);
        }
        return new WrennApiException(
                WrennApiException.Kind.CONNECTION_LOST, operation, id, 0, null, "connection failed: " + e, e);
    }

    /** Turns an HTTP error answer into an exception, whether or not its body is the API's JSON. */
    static WrennApiException errorFor(
            String operation, String id, HttpResponse<?> response, String body, Throwable cause) {
        int status = response.statusCode();
        String code = null;
        String message;
        String capsuleStatus = null;
        String requestId = response.headers().firstValue("X-Request-ID").orElse(null);
        Boolean retryable = null;
        Optional<JsonNode> error = parseApiError(body);
        if (error.isPresent()) {
            JsonNode e = error.get();
            code = e.path("code").asText(null);
            message = e.path("message").asText(null);
            requestId = e.path("request_id").asText(requestId);
            retryable = e.path("retryable").isBoolean() ? e.path("retryable").asBoolean() : null;
            capsuleStatus = e.path("details").path("status").asText(null);
        } else {
            message = describeNonApiBody(status, contentType(response), body);
        }
        return new WrennApiException(
                kindOf(status, code, message),
                operation,
                id,
                status,
                code,
                message,
                capsuleStatus,
                requestId,
                retryable,
                cause);
    }

    /**
     * Classifies by status first, then by the error code of either server generation
     * ({@code invalid_state} and {@code sandbox_not_running} mean the same); the message text only
     * where a first-generation server gave no code.
     */
    private static WrennApiException.Kind kindOf(int status, String code, String message) {
        return switch (status) {
            case 400 -> WrennApiException.Kind.INVALID_REQUEST;
            case 401 -> WrennApiException.Kind.AUTHENTICATION_FAILED;
            case 403 -> WrennApiException.Kind.FORBIDDEN;
            case 404 -> WrennApiException.Kind.NOT_FOUND;
            case 408, 504 -> WrennApiException.Kind.TIMEOUT;
            case 409 -> {
                if ("invalid_state".equals(code) || "sandbox_not_running".equals(code)) {
                    yield WrennApiException.Kind.NOT_RUNNING;
                }
                yield code == null && message != null && message.toLowerCase(Locale.ROOT).contains("not running")
                        ? WrennApiException.Kind.NOT_RUNNING
                        : WrennApiException.Kind.CONFLICT;
            }
            case 413 -> WrennApiException.Kind.TOO_LARGE;
            case 429 -> WrennApiException.Kind.RATE_LIMITED;
            default -> status >= 500 ? WrennApiException.Kind.SERVER_ERROR : WrennApiException.Kind.UNEXPECTED_RESPONSE;
        };
    }

    private static Optional<JsonNode> parseApiError(String body) {
        if (body == null || body.isBlank() || body.stripLeading().charAt(0) != '{') {
            return Optional.empty();
        }
        try {
            JsonNode error = JSON.readTree(body).path("error");
            return error.isObject() ? Optional.of(error) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String describeNonApiBody(int status, String contentType, String body) {
        if (body == null || body.isBlank()) {
            return "HTTP " + status + " with an empty body";
        }
        String type = contentType.isEmpty() ? "no content type" : contentType;
        String text = body.replaceAll("(?is)<(script|style)[^>]*>.*?</\\1>", " ")
                .replaceAll("<[^>]*>", " ")
                .replaceAll("\\s+", " ")
                .strip();
        if (text.length() > 200) {
            text = text.substring(0, 200) + "...";
        }
        return "HTTP " + status + " with a body that is not a Wrenn API error (" + type
                + "; a proxy or load balancer may have answered): " + text;
    }

    /**
     * Maps a stream's {@code error} message to the kind of its HTTP twin. Stream errors carry only
     * text, which differs between server versions, so it is matched loosely. A process that cannot
     * be found is told apart from a capsule that cannot: an attach whose process ended is not a
     * missing capsule.
     */
    static WrennApiException streamError(String operation, String id, String data) {
        String text = data == null ? "" : data.toLowerCase(Locale.ROOT);
        WrennApiException.Kind kind;
        String code = null;
        if (text.contains("authentication failed") || text.contains("api key")) {
            kind = WrennApiException.Kind.AUTHENTICATION_FAILED;
        } else if (text.contains("not running")) {
            kind = WrennApiException.Kind.NOT_RUNNING;
        } else if (text.contains("process not found") || text.contains("failed to connect to process")) {
            kind = WrennApiException.Kind.NOT_FOUND;
            code = PROCESS_NOT_FOUND;
        } else if (text.contains("not found") && (text.contains("sandbox") || text.contains("capsule"))) {
            kind = WrennApiException.Kind.NOT_FOUND;
        } else if (text.contains("failed to start")) {
            kind = WrennApiException.Kind.START_FAILED;
        } else if (text.contains("invalid")) {
            kind = WrennApiException.Kind.INVALID_REQUEST;
        } else {
            kind = WrennApiException.Kind.SERVER_ERROR;
        }
        return new WrennApiException(kind, operation, id, 0, code, data, null);
    }

    /**
     * The {@link WrennApiException#errorCode()} this client gives a stream error about a process
     * that does not exist (any more), so that callers can tell it from a missing capsule.
     */
    public static final String PROCESS_NOT_FOUND = "process_not_found";

    /**
     * Closes the client. A stream that has its exit code gets up to a second to finish the close
     * handshake its server started (a build step closes its client right after the command ends);
     * whatever is still open then is cut.
     */
    @Override
    public void close() {
        keepAlive.shutdownNow();
        http.shutdown();
        try {
            if (!http.awaitTermination(CLOSE_WAIT)) {
                http.shutdownNow();
            }
        } catch (InterruptedException e) {
            http.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "WrennClient[" + baseUrl + "]";
    }
}
