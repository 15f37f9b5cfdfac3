package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import org.junit.jupiter.api.AfterEach;
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

    /** The file faults a test set stay with the shared server: none may reach the next test. */
    @AfterEach
    void clearFileFaults() {
        server.files().setFreeSpace(-1);
        server.files().setProxyBodyLimit(-1);
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
        server.files().setProxyBodyLimit(1000);
        String path = server.workDir(id).resolve("big").toString();
        WrennApiException e = assertThrows(
                WrennApiException.class,
                () -> client.files().write(id, path, new ByteArrayInputStream(randomBytes(5000)), TIMEOUT));
        assertEquals(WrennApiException.Kind.TOO_LARGE, e.kind());
        assertEquals(413, e.httpStatus());
        // Neither generation limits the streaming upload: the 413 is a proxy's own page.
        assertNull(e.errorCode(), e.toString());
        assertNull(e.requestId(), e.toString());
        assertTrue(e.serverMessage().contains("413 Request Entity Too Large"), e.serverMessage());
        assertFalse(Files.exists(Path.of(path)), "the server never saw the upload");
    }

    @Test
    void aDiskThatFillsPartWayIsAnswered502WithoutSayingSo() throws Exception {
        // StreamUpload: the agent gives up, the next chunk cannot be sent on. The rest of this body
        // is under the 256 KiB Go reads after an answer, so the connection stays usable.
        String id = server.createCapsule();
        server.files().setFreeSpace(100);
        String path = server.workDir(id).resolve("full").toString();
        WrennApiException e = assertThrows(
                WrennApiException.class,
                () -> client.files().write(id, path, new ByteArrayInputStream(randomBytes(200_000)), TIMEOUT));
        assertEquals(WrennApiException.Kind.SERVER_ERROR, e.kind(), e.toString());
        assertEquals(502, e.httpStatus(), e.toString());
        if (generation == ServerGeneration.V0_1_5) {
            assertEquals("agent_error", e.errorCode());
            assertEquals("failed to stream file chunk", e.serverMessage());
        } else {
            assertEquals("host_unreachable", e.errorCode());
            assertEquals(Boolean.TRUE, e.retryable());
        }
        assertEquals(100, Files.size(Path.of(path)), "what was written stays, as envd leaves it");
    }

    @Test
    void aDiskThatFillsEarlyInALargeUploadMayAlsoCutTheConnection() throws Exception {
        // Go answers, then closes; a client still sending may never read that answer.
        String id = server.createCapsule();
        server.files().setFreeSpace(100_000);
        String path = server.workDir(id).resolve("full").toString();
        WrennApiException e = assertThrows(
                WrennApiException.class,
                () -> client.files().write(id, path, new ByteArrayInputStream(randomBytes(3_000_000)), TIMEOUT));
        assertTrue(
                e.kind() == WrennApiException.Kind.CONNECTION_LOST
                        || (e.kind() == WrennApiException.Kind.SERVER_ERROR && e.httpStatus() == 502),
                e.toString());
        assertEquals(
                1, server.requests("POST", ".*/" + id + "/files/stream/write").size(), "an upload is never repeated");
        assertEquals(100_000, Files.size(Path.of(path)));
    }

    @Test
    void aDiskThatFillsAtTheEndIsNamedOnlyByTheOldServer() throws Exception {
        String id = server.createCapsule();
        server.files().setFreeSpace(100);
        String path = server.workDir(id).resolve("full").toString();
        WrennApiException e = assertThrows(
                WrennApiException.class,
                () -> client.files().write(id, path, new ByteArrayInputStream(randomBytes(5000)), TIMEOUT));
        assertEquals(WrennApiException.Kind.SERVER_ERROR, e.kind());
        if (generation == ServerGeneration.V0_1_5) {
            assertEquals(502, e.httpStatus());
            assertTrue(e.serverMessage().contains("status 507"), e.serverMessage());
            assertTrue(e.serverMessage().contains("not enough disk space available"), e.serverMessage());
        } else {
            assertEquals(500, e.httpStatus());
            assertEquals("internal_error", e.errorCode());
            assertFalse(e.serverMessage().contains("disk"), e.serverMessage());
        }
    }

    @Test
    void makingADirectoryThatExistsIsAConflict() throws Exception {
        String id = server.createCapsule();
        String dir = server.workDir(id).resolve("twice").toString();
        client.files().mkdir(id, dir);
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.files().mkdir(id, dir));
        assertEquals(WrennApiException.Kind.CONFLICT, e.kind(), e.toString());
        assertEquals("conflict", e.errorCode());
        assertTrue(e.serverMessage().contains("directory already exists: " + dir), e.serverMessage());
        Files.write(Path.of(dir, "file"), new byte[1]);
        WrennApiException file =
                assertThrows(WrennApiException.class, () -> client.files().mkdir(id, dir + "/file"));
        assertEquals(WrennApiException.Kind.INVALID_REQUEST, file.kind(), file.toString());
    }

    @Test
    void aLinkIsListedAsWhatItResolvesTo() throws Exception {
        String id = server.createCapsule();
        Path dir = server.workDir(id).resolve("links");
        Files.createDirectories(dir.resolve("sub"));
        Path target = Files.write(dir.resolve("sub/target.txt"), "12345".getBytes());
        Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        Files.createSymbolicLink(dir.resolve("a-link"), Path.of("sub/target.txt"));
        Files.createSymbolicLink(dir.resolve("b-dangling"), Path.of("nowhere"));

        List<FileEntry> entries = client.files().list(id, dir.toString(), 2);

        assertEquals(
                List.of("a-link", "b-dangling", "sub", "target.txt"),
                entries.stream().map(FileEntry::name).toList(),
                "name order, each directory followed by its entries");
        FileEntry link = entries.get(0);
        assertEquals("file", link.type(), "a link has its target's type");
        assertEquals(target.toRealPath().toString(), link.symlinkTarget(), "resolved, not the link's text");
        assertEquals(0640, link.mode());
        assertEquals("sub/target.txt".length(), link.size(), "the size is the link's own");
        assertTrue(link.permissions().startsWith("L"), link.permissions());
        FileEntry dangling = entries.get(1);
        assertEquals("unknown", dangling.type());
        assertEquals(dir.resolve("b-dangling").toString(), dangling.symlinkTarget());
        assertEquals(0, dangling.mode());
        assertEquals("directory", entries.get(2).type());
        assertEquals(dir.resolve("sub/target.txt").toString(), entries.get(3).path());
        assertNull(entries.get(3).symlinkTarget());
    }

    @Test
    void listingAMissingPathIsNotFoundAndAFileIsRefused() throws Exception {
        String id = server.createCapsule();
        Path missing = server.workDir(id).resolve("no/such");
        WrennApiException e =
                assertThrows(WrennApiException.class, () -> client.files().list(id, missing.toString(), 1));
        assertEquals(WrennApiException.Kind.NOT_FOUND, e.kind());
        assertTrue(e.serverMessage().contains("path not found"), e.serverMessage());
        Path file = Files.write(server.workDir(id).resolve("plain"), new byte[1]);
        WrennApiException notDir =
                assertThrows(WrennApiException.class, () -> client.files().list(id, file.toString(), 1));
        assertEquals(WrennApiException.Kind.INVALID_REQUEST, notDir.kind());
        assertTrue(notDir.serverMessage().contains("path is not a directory"), notDir.serverMessage());
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
