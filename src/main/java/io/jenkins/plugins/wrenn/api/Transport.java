package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one HTTP and WebSocket connection to a Wrenn API endpoint that every resource facade
 * ({@link Capsules}, {@link Commands}, {@link Processes}) sends through: the API key header,
 * timeouts, retries of reads, error answers, and the keep-alive of open streams.
 */
final class Transport {

    private static final String API_KEY_HEADER = "X-API-Key";
    private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);

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
    /**
     * Where streams hand their messages to their listeners: a virtual thread for as long as a
     * stream has something to hand over, none while it waits.
     */
    private final Executor deliveries =
            task -> Thread.ofVirtual().name("Wrenn stream delivery").start(task);
    /** What waits for the listeners of this client's streams. */
    private final ListenerBacklog backlog;

    Transport(WrennClient.Builder b) {
        this.baseUrl = b.baseUrl;
        this.apiKey = b.apiKey;
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
        this.readAttempts = b.readAttempts;
        this.firstBackoff = b.firstBackoff;
        this.keepAliveInterval = b.keepAliveInterval;
        this.pongTimeout = b.pongTimeout;
        this.backlog = new ListenerBacklog(b.streamBacklog, b.clientBacklog);
        // Left at HTTP/2, the JDK offers cleartext requests an "Upgrade: h2c"; servers and proxies that
        // do not speak h2c may then drop the request body. HTTPS negotiates HTTP/2 through ALPN instead.
        if ("http".equalsIgnoreCase(b.baseUrl.getScheme())) {
            b.httpClient.version(HttpClient.Version.HTTP_1_1);
        }
        // The JDK's own work runs on the thread that read the bytes. With a pool in between, the JDK
        // reads a connection's end (the server closes right after its last message, without a close
        // frame) while that message still waits for the pool, and then drops it: an exit code, or
        // the error that says why a stream was refused, went missing. Each stream hands its messages
        // to its listener itself, on a thread of its own, in order (see ProcessStream).
        this.http = b.httpClient
                .connectTimeout(b.connectTimeout)
                .executor(Runnable::run)
                .build();
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "Wrenn WebSocket keep-alive");
            t.setDaemon(true);
            return t;
        });
        // Every stream cancels its pinger when it ends; most end long before their first ping is due.
        timer.setRemoveOnCancelPolicy(true);
        this.keepAlive = timer;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    URI baseUrl() {
        return baseUrl;
    }

    @FunctionalInterface
    interface BodyReader<T> {
        T read(InputStream in) throws IOException;
    }

    static String capsulePath(String id) {
        return "/v1/capsules/" + encode(WrennClient.checkCapsuleId(id));
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(requestTimeout)
                .header(API_KEY_HEADER, apiKey)
                .header("Accept", "application/json");
    }

    HttpRequest post(String path, JsonNode body, Duration timeout) {
        return request(path)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8))
                .build();
    }

    <T> T read(String operation, String id, String path, BodyReader<T> reader)
            throws WrennApiException, InterruptedException {
        return send(operation, id, request(path).GET().build(), reader, true);
    }

    <T> T send(String operation, String id, HttpRequest request, BodyReader<T> reader, boolean idempotent)
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
        if (e.kind() == WrennApiException.Kind.CONNECTION_FAILED
                || e.kind() == WrennApiException.Kind.CONNECTION_LOST) {
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
            throw ApiErrors.transportFailure(operation, id, e);
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
            throw ApiErrors.errorFor(
                    operation, id, response, withoutKey(new String(head, StandardCharsets.UTF_8)), null);
        } catch (IOException e) {
            if (e instanceof WrennApiException w) {
                throw w;
            }
            throw ApiErrors.transportFailure(operation, id, e);
        }
    }

    /**
     * Sends a request without waiting for its answer: the result completes with what the reader
     * made of a 2xx answer, or exceptionally with a {@link WrennApiException} (inside a
     * {@link CompletionException} where the future wraps it). Unlike {@link #send},
     * an interrupt of the caller does not cut the exchange, so a caller that must learn what a
     * change it asked for did (a created capsule, say) can still wait for the answer. Sent once.
     */
    <T> CompletableFuture<T> sendAsync(String operation, String id, HttpRequest request, BodyReader<T> reader) {
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).handle((response, failure) -> {
            if (failure != null) {
                throw new CompletionException(ApiErrors.transportFailure(operation, id, unwrap(failure)));
            }
            int status = response.statusCode();
            byte[] body = response.body();
            if (status < 200 || status >= 300) {
                int length = Math.min(body.length, MAX_ERROR_BODY_BYTES);
                throw new CompletionException(ApiErrors.errorFor(
                        operation,
                        id,
                        response,
                        withoutKey(new String(body, 0, length, StandardCharsets.UTF_8)),
                        null));
            }
            try {
                return reader.read(new ByteArrayInputStream(body));
            } catch (IOException e) {
                throw new CompletionException(new WrennApiException(
                        WrennApiException.Kind.UNEXPECTED_RESPONSE,
                        operation,
                        id,
                        status,
                        null,
                        "unreadable answer: " + e.getMessage(),
                        e));
            }
        });
    }

    /**
     * The result of {@link #openStream}: cancelling it gives the opening up only until the first
     * message is about to be sent. After that the command may already run, so a cancel is refused
     * and the caller gets the stream, to see or stop what it started.
     */
    static final class Opening extends CompletableFuture<ProcessStream> {
        private boolean sending;

        @Override
        public synchronized boolean cancel(boolean mayInterruptIfRunning) {
            return !sending && super.cancel(mayInterruptIfRunning);
        }

        /** False when the caller has given up already; after true, a cancel no longer succeeds. */
        synchronized boolean beginSending() {
            if (isDone()) {
                return false;
            }
            sending = true;
            return true;
        }
    }

    /**
     * Opens a stream without waiting for it: upgrades to a WebSocket, sends the first message (the
     * exec stream's {@code start}, or null for an attach) and then starts the keep-alive. Completes
     * with the stream once the first message is written, or exceptionally with a
     * {@link WrennApiException}. Nothing here blocks, so a caller that does not wait holds no
     * thread while the connection is made. Cancelling the result before the upgrade is done closes
     * the stream without sending anything.
     */
    CompletableFuture<ProcessStream> openStream(
            String operation,
            String id,
            String path,
            StreamListener listener,
            ProcessStream.SilentEndExplainer explainer,
            String firstMessage) {
        Objects.requireNonNull(listener, "listener");
        URI uri = webSocketUri(path);
        ProcessStream stream = new ProcessStream(operation, id, listener, explainer, deliveries, backlog);
        Opening result = new Opening();
        CompletableFuture<WebSocket> upgrade = http.newWebSocketBuilder()
                .header(API_KEY_HEADER, apiKey)
                .connectTimeout(connectTimeout)
                .buildAsync(uri, stream.listener());
        upgrade.whenComplete((socket, failure) -> {
            if (failure != null) {
                result.completeExceptionally(streamOpenFailure(operation, id, unwrap(failure)));
                return;
            }
            try {
                stream.opened(socket);
                if (!result.beginSending()) {
                    // The caller gave up waiting: nothing was sent, so nothing runs.
                    stream.close();
                    return;
                }
                if (firstMessage == null) {
                    stream.startPinging(keepAlive, keepAliveInterval, pongTimeout);
                    result.complete(stream);
                    return;
                }
                CompletableFuture<Void> sent = stream.send(firstMessage);
                // Only now: the timer's wake-up then overlaps the server's work instead of delaying the start.
                stream.startPinging(keepAlive, keepAliveInterval, pongTimeout);
                sent.whenComplete((done, sendFailure) -> {
                    if (sendFailure == null) {
                        result.complete(stream);
                    } else {
                        stream.close();
                        refused(operation, id, explainer, unwrap(sendFailure), result);
                    }
                });
            } catch (RuntimeException e) {
                // A closed client's timer, say: the opening must still end, or its caller waits forever.
                stream.close();
                result.completeExceptionally(streamOpenFailure(operation, id, e));
            }
        });
        result.whenComplete((s, e) -> {
            if (result.isCancelled()) {
                upgrade.cancel(true);
            }
        });
        return result;
    }

    /**
     * Completes {@code result} with why the first message could not be sent. A lost connection is
     * explained by asking the API (the server's own reason may have been lost).
     */
    static void refused(
            String operation,
            String id,
            ProcessStream.SilentEndExplainer explainer,
            Throwable failure,
            CompletableFuture<ProcessStream> result) {
        WrennApiException api =
                failure instanceof WrennApiException w ? w : ApiErrors.transportFailure(operation, id, failure);
        if (api.kind() != WrennApiException.Kind.CONNECTION_LOST) {
            result.completeExceptionally(api);
            return;
        }
        explainer.explainLater("Wrenn stream start check " + id, api, result::completeExceptionally);
    }

    /**
     * Waits for a stream from {@link #openStream}; a stream that opens after the wait was given up
     * is closed, and one not yet upgraded sends nothing.
     */
    ProcessStream await(String operation, String id, CompletableFuture<ProcessStream> opening)
            throws WrennApiException, InterruptedException {
        try {
            return opening.get(connectTimeout.plus(requestTimeout).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            abandon(opening);
            throw e;
        } catch (TimeoutException e) {
            abandon(opening);
            throw new WrennApiException(
                    WrennApiException.Kind.TIMEOUT, operation, id, 0, null, "the stream did not open in time", e);
        } catch (ExecutionException e) {
            throw ApiErrors.transportFailure(operation, id, e.getCause());
        }
    }

    private static void abandon(CompletableFuture<ProcessStream> opening) {
        if (!opening.cancel(true)) {
            opening.thenAccept(ProcessStream::close);
        }
    }

    /** The failure inside a {@link CompletionException}, or the throwable itself. */
    static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private WrennApiException streamOpenFailure(String operation, String id, Throwable cause) {
        if (cause instanceof WebSocketHandshakeException handshake) {
            HttpResponse<?> response = handshake.getResponse();
            Object body = response.body();
            String text = body instanceof String s ? withoutKey(s) : null;
            return ApiErrors.errorFor(operation, id, response, text, handshake);
        }
        return ApiErrors.transportFailure(operation, id, cause);
    }

    private URI webSocketUri(String path) {
        String base = baseUrl.toString();
        String ws = base.regionMatches(true, 0, "https:", 0, 6)
                ? "wss:" + base.substring("https:".length())
                : "ws:" + base.substring("http:".length());
        return URI.create(ws + path);
    }

    /**
     * An error answer's text with the key replaced by {@code ****}: a proxy or gateway in front of
     * the API may quote the request's headers back, and the text reaches logs and exceptions.
     */
    private String withoutKey(String text) {
        return text.replace(apiKey, "****");
    }

    /** Closes the transport: open streams and requests still under way are cut. */
    void close() {
        keepAlive.shutdownNow();
        http.shutdownNow();
    }
}
