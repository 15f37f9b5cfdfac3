package io.jenkins.plugins.wrenn.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

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

    private final Transport transport;
    private final Capsules capsules;
    private final Commands commands;
    private final Processes processes;
    private final Files files;

    private WrennClient(Builder b) {
        this.transport = new Transport(b);
        this.capsules = new Capsules(transport);
        this.processes = new Processes(transport, capsules);
        this.commands = new Commands(transport, capsules, processes);
        this.files = new Files(transport);
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
        final URI baseUrl;
        final String apiKey;
        HttpClient.Builder httpClient = HttpClient.newBuilder();
        Duration connectTimeout = Duration.ofSeconds(10);
        Duration requestTimeout = Duration.ofSeconds(60);
        int readAttempts = 3;
        Duration firstBackoff = Duration.ofMillis(500);
        Duration keepAliveInterval = Duration.ofSeconds(5);
        Duration pongTimeout = Duration.ofSeconds(5);
        int streamBacklog = ListenerBacklog.DEFAULT_STREAM_LIMIT;
        long clientBacklog = ListenerBacklog.DEFAULT_CLIENT_LIMIT;

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

        /**
         * How many characters of output may wait for a stream's listener, and for the listeners of
         * all streams together, before a stream stops reading until its listener has caught up.
         * The defaults (4 Mi and 16 Mi characters, 8 and 32 MiB of heap at most) stop only for a
         * listener that is far behind: a stream that stops may end as lost, with
         * {@link WrennApiException#LAST_MESSAGE_LOST}, if its server ends the connection
         * meanwhile.
         *
         * @throws IllegalArgumentException naming the field when a bound is below 2, or the
         *     client's is below the stream's
         */
        public Builder listenerBacklog(int perStreamChars, long perClientChars) {
            ListenerBacklog.check(perStreamChars, perClientChars);
            this.streamBacklog = perStreamChars;
            this.clientBacklog = perClientChars;
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
     * Checks an API base URL: http or https, a host, no user name or password, no query or
     * fragment. Returns it without a trailing slash.
     *
     * @throws IllegalArgumentException naming the field
     */
    public static URI checkBaseUrl(URI url) {
        if (url == null) {
            throw new IllegalArgumentException("API base URL: must not be empty");
        }
        if (url.getRawUserInfo() != null) {
            // Said without the URL, which holds the password; it would reach logs and messages.
            throw new IllegalArgumentException(
                    "API base URL: must not contain a user name or password (user:password@host)");
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
     * Checks a capsule id the way every server accepts: not empty, not {@code .} or {@code ..}, no
     * slash, no white space. The format itself ({@code cl-...}, {@code cap_...}) is left to the
     * server.
     *
     * @throws IllegalArgumentException naming the field
     */
    public static String checkCapsuleId(String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("capsule id: must not be empty");
        }
        // "." and ".." would name another path of the API once the request path is resolved.
        if (id.equals(".")
                || id.equals("..")
                || id.indexOf('/') >= 0
                || id.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(
                    "capsule id: must not be . or .. or contain '/' or white space, got '" + id + "'");
        }
        return id;
    }

    public URI baseUrl() {
        return transport.baseUrl();
    }

    /** Look up, create, pause, resume and destroy capsules. */
    public Capsules capsules() {
        return capsules;
    }

    /** Run commands: blocking, streamed, or in the background. */
    public Commands commands() {
        return commands;
    }

    /** List, signal and attach to processes. */
    public Processes processes() {
        return processes;
    }

    /** Write, read, list, make and remove files in a capsule. */
    public Files files() {
        return files;
    }

    /** Closes the client: open streams and requests still under way are cut. */
    @Override
    public void close() {
        transport.close();
    }

    @Override
    public String toString() {
        return "WrennClient[" + transport.baseUrl() + "]";
    }
}
