package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
class FilesApiTest {

    static final String KEY = "wrn_test_files_0123456789";
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static WrennTestServer server;
    static WrennClient client;

    /** Which generation of the real server the test server speaks in this run. */
    @Parameter
    ServerGeneration generation;

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        client = WrennClient.builder(server.baseUrl(), KEY).build();
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void writesAndReadsBackEveryByte() throws Exception {
        String id = server.createCapsule();
        // Every byte value, and the multipart delimiter's own start, inside the content.
        byte[] content = randomBytes(3 * 1024 * 1024 + 17);
        System.arraycopy("\r\n--wrenn-".getBytes(), 0, content, 1000, 10);
        String path = server.workDir(id).resolve("new/dir/data.bin").toString();

        client.files().write(id, path, new ByteArrayInputStream(content), TIMEOUT);

        assertArrayEquals(content, Files.readAllBytes(Path.of(path)), "missing parents are created");
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        assertEquals(content.length, client.files().read(id, path, back, TIMEOUT));
        assertArrayEquals(content, back.toByteArray());
        String type = server.requests("POST", ".*/files/stream/write")
                .getLast()
                .headers()
                .get("content-type");
        assertTrue(type.startsWith("multipart/form-data; boundary="), type);
    }

    @Test
    void anEmptyFileIsWritten() throws Exception {
        String id = server.createCapsule();
        String path = server.workDir(id).resolve("empty").toString();
        client.files().write(id, path, new ByteArrayInputStream(new byte[0]), TIMEOUT);
        assertEquals(0, Files.size(Path.of(path)));
    }

    @Test
    void listsMakesDirectoriesAndRemoves() throws Exception {
        String id = server.createCapsule();
        String dir = server.workDir(id).resolve("a/b").toString();
        FileEntry made = client.files().mkdir(id, dir);
        assertEquals("b", made.name());
        assertEquals("directory", made.type());
        client.files().write(id, dir + "/f.txt", new ByteArrayInputStream("hello".getBytes()), TIMEOUT);

        List<FileEntry> entries = client.files().list(id, dir, 1);
        assertEquals(1, entries.size());
        assertEquals("f.txt", entries.get(0).name());
        assertEquals(5, entries.get(0).size());

        client.files().remove(id, server.workDir(id).resolve("a").toString());
        assertFalse(Files.exists(server.workDir(id).resolve("a")));
        client.files().remove(id, server.workDir(id).resolve("a").toString());
    }

    @Test
    void aTooLargeUploadIsTooLarge() throws Exception {
        String id = server.createCapsule();
        server.files().setSizeLimit(1000);
        try {
            String path = server.workDir(id).resolve("big").toString();
            WrennApiException e = assertThrows(
                    WrennApiException.class,
                    () -> client.files().write(id, path, new ByteArrayInputStream(randomBytes(5000)), TIMEOUT));
            assertEquals(WrennApiException.Kind.TOO_LARGE, e.kind());
            assertEquals(413, e.httpStatus());
        } finally {
            server.files().setSizeLimit(-1);
        }
    }

    @Test
    void aFullDiskNamesThePath() throws Exception {
        String id = server.createCapsule();
        server.files().setFreeSpace(100);
        try {
            String path = server.workDir(id).resolve("full").toString();
            WrennApiException e = assertThrows(
                    WrennApiException.class,
                    () -> client.files().write(id, path, new ByteArrayInputStream(randomBytes(5000)), TIMEOUT));
            assertEquals(WrennApiException.Kind.SERVER_ERROR, e.kind());
            assertTrue(e.getMessage().contains("no space left on device"), e.getMessage());
            assertTrue(e.getMessage().contains(path), e.getMessage());
        } finally {
            server.files().setFreeSpace(-1);
        }
    }

    @Test
    void anUploadCutPartWayFails() throws Exception {
        String id = server.createCapsule();
        server.files().cutNextUploadAfter(200_000);
        String path = server.workDir(id).resolve("cut").toString();
        WrennApiException e = assertThrows(
                WrennApiException.class,
                () -> client.files().write(id, path, new ByteArrayInputStream(randomBytes(2_000_000)), TIMEOUT));
        assertTrue(
                e.kind() == WrennApiException.Kind.CONNECTION_LOST
                        || e.kind() == WrennApiException.Kind.UNEXPECTED_RESPONSE,
                e.toString());
    }

    @Test
    void aDownloadCutPartWayFails() throws Exception {
        String id = server.createCapsule();
        Path file = server.workDir(id).resolve("long");
        Files.write(file, randomBytes(2_000_000));
        server.files().cutNextDownloadAfter(300_000);
        WrennApiException e = assertThrows(
                WrennApiException.class,
                () -> client.files().read(id, file.toString(), OutputStream.nullOutputStream(), TIMEOUT));
        assertEquals(WrennApiException.Kind.CONNECTION_LOST, e.kind());
    }

    @Test
    void aDownloadTheCapsuleFailsPartWayEndsWithoutAnError() throws Exception {
        // As on the real server: callers must compare the count with a size learnt another way.
        String id = server.createCapsule();
        Path file = server.workDir(id).resolve("partial");
        Files.write(file, randomBytes(500_000));
        server.files().endNextDownloadAfter(123_456);
        assertEquals(123_456, client.files().read(id, file.toString(), OutputStream.nullOutputStream(), TIMEOUT));
    }

    @Test
    void aMissingFileReadsAsNothingOnTheStreamingRoute() throws Exception {
        // The real handler sends its 200 before the agent says the file is missing.
        String id = server.createCapsule();
        String path = server.workDir(id).resolve("absent").toString();
        assertEquals(0, client.files().read(id, path, OutputStream.nullOutputStream(), TIMEOUT));
    }

    @Test
    void aFailingDestinationIsReportedAsItself() throws Exception {
        String id = server.createCapsule();
        Path file = server.workDir(id).resolve("f");
        Files.write(file, randomBytes(100_000));
        IOException refused = new IOException("destination refused");
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw refused;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw refused;
            }
        };
        IOException e =
                assertThrows(IOException.class, () -> client.files().read(id, file.toString(), failing, TIMEOUT));
        assertSame(refused, e);
    }

    @Test
    void aMissingOrPausedCapsuleIsRefused() throws Exception {
        String id = server.createCapsule();
        server.setStatus(id, "paused");
        WrennApiException paused =
                assertThrows(WrennApiException.class, () -> client.files().mkdir(id, "/tmp/x"));
        assertEquals(WrennApiException.Kind.NOT_RUNNING, paused.kind());
        WrennApiException missing = assertThrows(
                WrennApiException.class,
                () -> client.files()
                        .write(
                                "cl-0000000000000000000000000",
                                "/tmp/x",
                                new ByteArrayInputStream(new byte[10]),
                                TIMEOUT));
        assertEquals(WrennApiException.Kind.NOT_FOUND, missing.kind());
    }
}
