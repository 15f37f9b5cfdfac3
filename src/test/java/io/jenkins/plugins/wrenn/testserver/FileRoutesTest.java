package io.jenkins.plugins.wrenn.testserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Checks the test server's files routes against what the real server's code does, per
 * generation, through raw HTTP: the answers the plugin's client must cope with.
 */
@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class FileRoutesTest {

    static final String KEY = "wrn_test_file_routes";
    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static WrennTestServer server;

    @Parameter
    ServerGeneration generation;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        server.close();
    }

    boolean current() {
        return generation == ServerGeneration.CURRENT;
    }

    HttpResponse<String> post(String id, String route, String json) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(java.net.URI.create(server.baseUrl() + "/v1/capsules/" + id + "/files/" + route))
                        .header("X-API-Key", KEY)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> upload(String id, String route, HttpRequest.BodyPublisher body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(java.net.URI.create(server.baseUrl() + "/v1/capsules/" + id + "/files/" + route))
                        .header("X-API-Key", KEY)
                        .header("Content-Type", "multipart/form-data; boundary=XyZ")
                        .POST(body)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String part(String name, String content) {
        return "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\""
                + ("file".equals(name) ? "; filename=\"f\"" : "") + "\r\n\r\n" + content + "\r\n";
    }

    static JsonNode error(HttpResponse<String> r) throws Exception {
        return WrennTestServer.JSON.readTree(r.body()).path("error");
    }

    @Test
    void readingAMissingFileWholeLosesTheKindOnTheWay() throws Exception {
        // Download -> hostagent ReadFile -> envdclient.ReadFile: envd's 404 becomes a plain error.
        String id = server.createCapsule();
        String path = server.workDir(id).resolve("absent.txt").toString();
        HttpResponse<String> r = post(id, "read", "{\"path\":\"" + path + "\"}");
        JsonNode e = error(r);
        if (current()) {
            assertEquals(500, r.statusCode());
            assertEquals("internal_error", e.path("code").asText());
            assertEquals(FileRoutes.INTERNAL_MESSAGE, e.path("message").asText());
            assertFalse(e.path("retryable").asBoolean());
            assertEquals(
                    r.headers().firstValue("X-Request-ID").orElseThrow(),
                    e.path("request_id").asText());
        } else {
            assertEquals(502, r.statusCode());
            assertEquals("agent_error", e.path("code").asText());
            assertEquals(
                    "internal: read file: read file " + path + ": status 404: {\"code\":404,\"message\":\"path '" + path
                            + "' does not exist\"}\n",
                    e.path("message").asText());
        }
        HttpResponse<String> streamed = post(id, "stream/read", "{\"path\":\"" + path + "\"}");
        assertEquals(200, streamed.statusCode(), "the streaming route answers before the agent looks");
        assertEquals("", streamed.body());
        assertEquals(
                "application/octet-stream",
                streamed.headers().firstValue("Content-Type").orElseThrow());
    }

    @Test
    void aMissingPathFieldIsWordedByGeneration() throws Exception {
        String id = server.createCapsule();
        HttpResponse<String> list = post(id, "list", "{\"depth\":1}");
        HttpResponse<String> write =
                upload(id, "stream/write", HttpRequest.BodyPublishers.ofString(part("file", "x") + "--XyZ--\r\n"));
        assertEquals(400, list.statusCode());
        assertEquals(400, write.statusCode());
        if (current()) {
            assertEquals("validation_failed", error(list).path("code").asText());
            assertEquals(
                    "The path field is required.", error(list).path("message").asText());
            assertEquals("path", error(list).path("details").path("field").asText());
            assertEquals(
                    "The path field is required.", error(write).path("message").asText());
        } else {
            assertEquals("invalid_request", error(list).path("code").asText());
            assertEquals("path is required", error(list).path("message").asText());
            assertEquals("path field is required", error(write).path("message").asText());
        }
    }

    @Test
    void aFilePartBeforeThePathPartWritesAnEmptyFile() throws Exception {
        // StreamUpload reads on to find the path, which skips the file part's content.
        String id = server.createCapsule();
        Path path = server.workDir(id).resolve("order/first.txt");
        HttpResponse<String> r = upload(
                id,
                "stream/write",
                HttpRequest.BodyPublishers.ofString(
                        part("file", "content that is lost") + part("path", path.toString()) + "--XyZ--\r\n"));
        assertEquals(204, r.statusCode(), r.body());
        assertEquals(0, Files.size(path));
    }

    @Test
    void theWholeBodyOfAPlainWriteCountsAgainstItsLimit() throws Exception {
        String id = server.createCapsule();
        Path path = server.workDir(id).resolve("big.bin");
        String head = part("path", path.toString()) + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                + "filename=\"big\"\r\n\r\n";
        // The file alone is 100 MiB minus 10 bytes: only the multipart framing takes the body over.
        long fileSize = (100L << 20) - 10;
        InputStream body = new java.io.SequenceInputStream(
                new java.io.SequenceInputStream(
                        new java.io.ByteArrayInputStream(head.getBytes(StandardCharsets.UTF_8)), zeros(fileSize)),
                new java.io.ByteArrayInputStream("\r\n--XyZ--\r\n".getBytes(StandardCharsets.UTF_8)));
        HttpResponse<String> r = upload(id, "write", HttpRequest.BodyPublishers.ofInputStream(() -> body));
        assertEquals(413, r.statusCode());
        if (current()) {
            assertEquals("payload_too_large", error(r).path("code").asText());
            assertEquals(
                    "File exceeds the 100 MB limit.", error(r).path("message").asText());
        } else {
            assertEquals("too_large", error(r).path("code").asText());
            assertEquals("file exceeds 100 MB limit", error(r).path("message").asText());
        }
        assertFalse(Files.exists(path));
    }

    @Test
    void aFullDiskOnAPlainWriteIsTheAgentsAnswer() throws Exception {
        // Upload reads the whole body first, so the agent's 507 comes back (in words for V0_1_5 only).
        String id = server.createCapsule();
        Path path = server.workDir(id).resolve("plain-full.bin");
        server.files().setFreeSpace(10);
        try {
            HttpResponse<String> r = upload(
                    id,
                    "write",
                    HttpRequest.BodyPublishers.ofString(
                            part("file", "x".repeat(100)) + part("path", path.toString()) + "--XyZ--\r\n"));
            if (current()) {
                assertEquals(500, r.statusCode());
                assertEquals("internal_error", error(r).path("code").asText());
            } else {
                assertEquals(502, r.statusCode());
                assertTrue(
                        error(r).path("message")
                                .asText()
                                .contains(
                                        "status 507: {\"code\":507,\"message\":\"attempted to write 100 bytes: not enough disk space available\"}"),
                        r.body());
            }
        } finally {
            server.files().setFreeSpace(-1);
        }
        assertEquals(10, Files.size(path), "what fitted stays written");
    }

    @Test
    void aProxyLimitAnswersWithItsOwnPage() throws Exception {
        String id = server.createCapsule();
        Path path = server.workDir(id).resolve("proxied.bin");
        server.files().setProxyBodyLimit(1000);
        try {
            HttpResponse<String> r = upload(
                    id,
                    "stream/write",
                    HttpRequest.BodyPublishers.ofString(
                            part("path", path.toString()) + part("file", "x".repeat(5000)) + "--XyZ--\r\n"));
            assertEquals(413, r.statusCode());
            assertTrue(r.body().contains("<title>413 Request Entity Too Large</title>"), r.body());
            assertEquals("text/html", r.headers().firstValue("Content-Type").orElseThrow());
            assertTrue(r.headers().firstValue("X-Request-ID").isEmpty(), "the server never saw it");
        } finally {
            server.files().setProxyBodyLimit(-1);
        }
        assertFalse(Files.exists(path));
    }

    @Test
    void aListWalksInNameOrderEachDirectoryBeforeTheNext() throws Exception {
        // envd walkDir: filepath.WalkDir visits a directory's entries right after it.
        String id = server.createCapsule();
        Path dir = server.workDir(id).resolve("walk");
        Files.createDirectories(dir.resolve("a/deeper"));
        Files.write(dir.resolve("a/b"), new byte[0]);
        Files.write(dir.resolve("a-c"), new byte[0]);
        Files.write(dir.resolve("a/deeper/too-deep"), new byte[0]);
        JsonNode entries = WrennTestServer.JSON
                .readTree(post(id, "list", "{\"path\":\"" + dir + "\",\"depth\":2}")
                        .body())
                .path("entries");
        List<String> paths = new java.util.ArrayList<>();
        entries.forEach(
                e -> paths.add(dir.relativize(Path.of(e.path("path").asText())).toString()));
        assertEquals(List.of("a", "a/b", "a/deeper", "a-c"), paths);
        assertTrue(entries.get(0).path("permissions").asText().startsWith("d"), entries.toString());
    }

    @Test
    void makingAnExistingDirectoryIsAConflict() throws Exception {
        String id = server.createCapsule();
        String dir = server.workDir(id).toString();
        HttpResponse<String> r = post(id, "mkdir", "{\"path\":\"" + dir + "\"}");
        assertEquals(409, r.statusCode());
        assertEquals("conflict", error(r).path("code").asText());
        assertEquals(
                current()
                        ? "directory already exists: " + dir
                        : "already_exists: make dir: make dir: already_exists: directory already exists: " + dir,
                error(r).path("message").asText());
    }

    static InputStream zeros(long size) {
        return new InputStream() {
            long left = size;

            @Override
            public int read() {
                if (left <= 0) {
                    return -1;
                }
                left--;
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + n, (byte) 0);
                left -= n;
                return n;
            }
        };
    }
}
