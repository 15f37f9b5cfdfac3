package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Files in a capsule: write and read (streamed both ways, never held whole in memory), list, make
 * directories, remove. Paths are paths inside the capsule; the server resolves relative ones
 * against its own working directory, so give absolute ones.
 *
 * <p>The streaming routes ({@code files/stream/write}, {@code files/stream/read}) are used for
 * content: the plain {@code files/write} of the server reads a whole upload into memory and refuses
 * more than 100 MB. A read answer cannot say that the server failed part-way (its status is sent
 * before the content), so callers that must know compare the byte count {@link #read} returns with
 * a size learnt another way.
 */
public final class Files {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The copy buffer of a download, as large as the HTTP client's own chunks. */
    private static final int COPY_BUFFER = 16 * 1024;

    private final Transport transport;

    Files(Transport transport) {
        this.transport = transport;
    }

    /**
     * Writes {@code content} to {@code path} in the capsule, creating missing parent directories
     * (the server does). The content is streamed as it is read; the stream is read to its end but
     * not closed. A transfer that is cut or refused throws: a 413 is
     * {@link WrennApiException.Kind#TOO_LARGE} (the server sets no limit on this route, so it comes
     * from a proxy in front, with a body that is not the API's), anything the capsule's agent fails
     * at is a {@link WrennApiException.Kind#SERVER_ERROR} or a lost connection. A full disk is
     * rarely named as such: part-way it is 502 "failed to stream file chunk" (v0.1.5) or 502
     * {@code host_unreachable} (newer), and the part written stays in the capsule.
     *
     * @param timeout how long the whole upload may take
     */
    public void write(String id, String path, InputStream content, Duration timeout)
            throws WrennApiException, InterruptedException {
        checkPath(path);
        Objects.requireNonNull(content, "content");
        String boundary = "wrenn-" + HexFormat.of().formatHex(randomBytes());
        String head = "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"path\"\r\n\r\n"
                + path + "\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"" + fileName(path) + "\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        // The body is sent once (a write is not repeated), so the supplier hands out the one stream.
        Supplier<InputStream> body = () ->
                new SequenceInputStream(new SequenceInputStream(utf8(head), new UnclosedInput(content)), utf8(tail));
        HttpRequest request = transport
                .request(Transport.capsulePath(id) + "/files/stream/write")
                .timeout(timeout)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofInputStream(body))
                .build();
        transport.send("write file " + path, id, request, in -> null, false);
    }

    /**
     * Streams the file at {@code path} to {@code out} and returns how many bytes came. The server
     * answers 200 before the capsule's agent opens the file, so a missing file, a directory or a
     * failure part-way is not an error: fewer bytes come (none for a missing file). A failure of
     * {@code out} itself is thrown as it is, not as an API error.
     *
     * @param timeout how long the whole download may take
     */
    public long read(String id, String path, OutputStream out, Duration timeout)
            throws IOException, InterruptedException {
        checkPath(path);
        Objects.requireNonNull(out, "out");
        HttpRequest request = transport
                .request(Transport.capsulePath(id) + "/files/stream/read")
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofString(pathBody(path).toString(), StandardCharsets.UTF_8))
                .build();
        try {
            return transport.send("read file " + path, id, request, in -> copy(in, out), false);
        } catch (SinkFailure e) {
            throw e.getCause();
        }
    }

    /**
     * Copies the answer into the caller's stream, which stays open (it is the caller's); a failure
     * to write it is told apart from one to read the answer.
     */
    private static long copy(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[COPY_BUFFER];
        long count = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            try {
                out.write(buffer, 0, n);
            } catch (IOException e) {
                throw new SinkFailure(e);
            }
            count += n;
        }
        return count;
    }

    /**
     * Lists a directory (a link to one is followed), in name order with each directory followed by
     * its own entries; {@code depth} 1 lists its direct entries. Links below it are not followed;
     * see {@link FileEntry} for how they are described. A missing path is
     * {@link WrennApiException.Kind#NOT_FOUND}, a path that is not a directory
     * {@link WrennApiException.Kind#INVALID_REQUEST}.
     */
    public List<FileEntry> list(String id, String path, int depth) throws WrennApiException, InterruptedException {
        checkPath(path);
        ObjectNode body = pathBody(path);
        body.put("depth", Math.max(1, depth));
        return transport.send(
                "list files in " + path,
                id,
                transport.post(Transport.capsulePath(id) + "/files/list", body, transport.requestTimeout()),
                in -> {
                    JsonNode entries = Transport.JSON.readTree(in).path("entries");
                    return entries.isArray()
                            ? Arrays.asList(Transport.JSON.treeToValue(entries, FileEntry[].class))
                            : List.of();
                },
                true);
    }

    /**
     * Makes a directory and any missing parents; returns it as the server describes it. A directory
     * that already exists is a {@link WrennApiException.Kind#CONFLICT} (409 {@code conflict}), an
     * existing file an {@link WrennApiException.Kind#INVALID_REQUEST}.
     */
    public FileEntry mkdir(String id, String path) throws WrennApiException, InterruptedException {
        checkPath(path);
        return transport.send(
                "make directory " + path,
                id,
                transport.post(Transport.capsulePath(id) + "/files/mkdir", pathBody(path), transport.requestTimeout()),
                in -> Transport.JSON.treeToValue(Transport.JSON.readTree(in).path("entry"), FileEntry.class),
                true);
    }

    /** Removes a file or a directory with everything in it; a path that does not exist is no error. */
    public void remove(String id, String path) throws WrennApiException, InterruptedException {
        checkPath(path);
        transport.send(
                "remove " + path,
                id,
                transport.post(Transport.capsulePath(id) + "/files/remove", pathBody(path), transport.requestTimeout()),
                in -> null,
                true);
    }

    private static void checkPath(String path) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("path: must not be empty");
        }
        if (path.indexOf('\r') >= 0 || path.indexOf('\n') >= 0 || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("path: must not contain a line break or NUL, got '" + path + "'");
        }
    }

    private static ObjectNode pathBody(String path) {
        ObjectNode body = Transport.JSON.createObjectNode();
        body.put("path", path);
        return body;
    }

    private static String fileName(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1).replace("\"", "");
        return name.isEmpty() ? "file" : name;
    }

    private static InputStream utf8(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return b;
    }

    /** The caller's stream inside the body: the client closes the body, the caller closes its stream. */
    private static final class UnclosedInput extends java.io.FilterInputStream {
        UnclosedInput(InputStream in) {
            super(in);
        }

        @Override
        public void close() {}
    }

    /** Carries a failure of the caller's stream past the transport, which would report it as a lost connection. */
    private static final class SinkFailure extends UncheckedIOException {
        private static final long serialVersionUID = 1L;

        SinkFailure(IOException cause) {
            super(cause);
        }
    }
}
