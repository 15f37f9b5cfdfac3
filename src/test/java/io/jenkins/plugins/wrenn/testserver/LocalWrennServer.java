package io.jenkins.plugins.wrenn.testserver;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the test server on its own, so that a developer or a reviewer can try the plugin without a
 * Wrenn account: {@code mvn -Plocal-wrenn hpi:run} starts it beside a development Jenkins (see the
 * README, "Try it without a Wrenn account"). It is a development aid, never part of the plugin:
 * the commands it is sent run as local processes of whoever started it, without any isolation, in
 * a temporary directory per capsule; absolute paths are this machine's.
 *
 * <p>It listens on an ephemeral port of 127.0.0.1, behaves like the newest Wrenn server
 * ({@link ServerGeneration#CURRENT}), accepts one random API key, and has one capsule running from
 * the start. With {@code --info-file FILE} it also writes the URL, key and capsule to that file
 * (readable by its owner only) for the development Jenkins to pick up, and deletes it when stopped.
 * It runs until the process is stopped (Ctrl+C, SIGTERM), then ends every process it started and
 * removes its directories.
 */
public final class LocalWrennServer implements AutoCloseable {

    /** Names of the info file's properties. */
    static final String API_URL = "apiUrl";

    static final String API_KEY = "apiKey";
    static final String CAPSULE = "capsule";

    private final WrennTestServer server;
    private final String apiKey;
    private final String capsuleId;
    private final Path infoFile;

    private LocalWrennServer(WrennTestServer server, String apiKey, String capsuleId, Path infoFile) {
        this.server = server;
        this.apiKey = apiKey;
        this.capsuleId = capsuleId;
        this.infoFile = infoFile;
    }

    /**
     * Starts the server with a fresh random key and one running capsule.
     *
     * @param infoFile where to write URL, key and capsule; null for nowhere
     */
    public static LocalWrennServer start(Path infoFile) throws Exception {
        byte[] secret = new byte[20];
        new SecureRandom().nextBytes(secret);
        String apiKey = "wrn_" + HexFormat.of().formatHex(secret);
        WrennTestServer server = WrennTestServer.start(apiKey, ServerGeneration.CURRENT);
        try {
            LocalWrennServer local = new LocalWrennServer(server, apiKey, server.createCapsule(), infoFile);
            if (infoFile != null) {
                local.writeInfo();
            }
            return local;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The base URL a client is given, {@code http://127.0.0.1:<port>/api}. */
    public URI apiUrl() {
        return server.baseUrl();
    }

    /** The one API key the server accepts. */
    public String apiKey() {
        return apiKey;
    }

    /** The capsule that is running from the start. */
    public String capsuleId() {
        return capsuleId;
    }

    /** Written to a file beside it, then moved over the old one, so a reader never sees half of it. */
    private void writeInfo() throws IOException {
        Path dir = infoFile.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // On POSIX a temporary file is readable by its owner only, before the key is in it: the key
        // lets whoever reads it run commands as this user.
        Path partial = Files.createTempFile(dir, ".local-wrenn", ".tmp");
        try {
            Properties info = new Properties();
            info.setProperty(API_URL, apiUrl().toString());
            info.setProperty(API_KEY, apiKey);
            info.setProperty(CAPSULE, capsuleId);
            try (Writer out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
                info.store(out, "Local Wrenn test server (development aid; see LocalWrennServer)");
            }
            Files.move(partial, infoFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** What the developer needs to use it by hand, and what it is. */
    void describe(PrintStream out) {
        out.println("Local Wrenn-compatible test server, a DEVELOPMENT AID: the commands it is sent run as local");
        out.println("processes of user " + System.getProperty("user.name") + ", without any isolation.");
        out.println("  API URL: " + apiUrl());
        out.println("  API key: " + apiKey);
        out.println("  capsule: " + capsuleId + " (running)");
        if (infoFile != null) {
            out.println("  written to " + infoFile.toAbsolutePath());
        }
        out.println("Stop it with Ctrl+C.");
        out.flush();
    }

    /** Stops the server: its processes end, its directories and the info file are removed. */
    @Override
    public void close() throws IOException {
        try {
            if (infoFile != null) {
                Files.deleteIfExists(infoFile);
            }
        } finally {
            server.close();
        }
    }

    /**
     * Starts the server, prints its URL, key and capsule, and runs until the process is stopped.
     *
     * @param args nothing, or {@code --info-file FILE}
     */
    public static void main(String[] args) throws Exception {
        Path infoFile = null;
        if (args.length == 2 && args[0].equals("--info-file")) {
            infoFile = Path.of(args[1]);
        } else if (args.length != 0) {
            System.err.println("Usage: LocalWrennServer [--info-file FILE]");
            System.exit(2);
        }
        LocalWrennServer local = start(infoFile);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                local.close();
                            } catch (Exception e) {
                                System.err.println("Local Wrenn test server: could not clean up: " + e);
                            }
                        },
                        "local-wrenn-server-stop"));
        local.describe(System.out);
        // Only the shutdown hook ends it.
        new CountDownLatch(1).await();
    }
}
