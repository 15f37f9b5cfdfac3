package io.jenkins.plugins.wrenn.testserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer.ApiError;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer.Found;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer.Refused;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer.TestCapsule;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The files routes of the real server, on the capsule's paths of this machine: a relative path is
 * taken from the capsule's working directory, an absolute one as it is, so that commands and file
 * routes see the same files. Every answer follows what {@code wrennhq/wrenn} does, per
 * {@link ServerGeneration}, including its rough edges; the sources are named where each is done.
 *
 * <p>Control plane ({@code internal/api/handlers_files.go} {@code Upload}/{@code Download},
 * {@code handlers_files_stream.go} {@code StreamUpload}/{@code StreamDownload},
 * {@code handlers_fs.go}): uploads are {@code multipart/form-data} with a {@code path} and a
 * {@code file} field, answered 204; {@code files/write} reads the whole body, at most 100 MB
 * ({@code http.MaxBytesReader}), the streaming upload has no limit; {@code files/stream/read}
 * sends its 200 before the capsule's agent reads the file, so a missing file or a failure
 * part-way just ends the content; {@code files/list} answers {@code {"entries":[...]}},
 * {@code files/mkdir} {@code {"entry":{...}}}, {@code files/remove} 204.
 *
 * <p>Host agent ({@code internal/hostagent/server.go} {@code envdErr}, {@code entryInfoToPB}) and
 * the capsule's agent ({@code envd/internal/services/filesystem}, {@code envd/internal/api}
 * {@code upload.go}/{@code download.go}): parents of an upload are created; a listed symbolic
 * link has its target's type ({@code file}, {@code directory}, or {@code unknown} when dangling)
 * and its fully resolved target; {@code mkdir} of an existing directory is a conflict; removing a
 * missing path is no error. Errors the capsule's agent gives as HTTP statuses (a missing file on
 * {@code files/read}, a full disk) lose their kind on the way: V0_1_5 answers 502
 * {@code agent_error} with the whole text, CURRENT 500 {@code internal_error} with a generic
 * message.
 *
 * <p>Faults: a proxy in front that refuses large bodies (its own HTML 413), a full disk, a
 * connection cut part-way through an upload or a download, a download that ends early.
 */
public final class FileRoutes {

    private static final Pattern ROUTE =
            Pattern.compile("^/api/v1/capsules/([^/]+)/files/(write|read|list|mkdir|remove|stream/write|stream/read)$");
    /** {@code Upload}: {@code http.MaxBytesReader(w, r.Body, 100<<20)}, on the whole body. */
    private static final long UNARY_LIMIT = 100L << 20;
    /** Go's net/http reads at most this much of a body the handler left unread, then closes the connection. */
    private static final long GO_UNREAD_BODY_LIMIT = 256L << 10;
    /** {@code StreamUpload} passes the body on in chunks of this size. */
    private static final int CHUNK = 64 * 1024;
    /** {@code apperr.Internal}'s message, all CURRENT says about an error it cannot classify. */
    static final String INTERNAL_MESSAGE =
            "Something went wrong on our end. Try again; if it keeps failing, contact support with the request ID.";

    private final WrennTestServer server;
    private final AtomicLong proxyLimit = new AtomicLong(-1);
    private final AtomicLong freeSpace = new AtomicLong(-1);
    private final AtomicLong cutUploadAfter = new AtomicLong(-1);
    private final AtomicLong cutDownloadAfter = new AtomicLong(-1);
    private final AtomicLong endDownloadAfter = new AtomicLong(-1);

    FileRoutes(WrennTestServer server) {
        this.server = server;
    }

    static boolean handles(String path) {
        return ROUTE.matcher(path).matches();
    }

    // ---- faults

    /**
     * Puts a proxy in front of the uploads that refuses a body larger than this many bytes (-1: none),
     * as nginx's {@code client_max_body_size} does: its own HTML 413, no request id, the server never
     * sees the request.
     */
    public void setProxyBodyLimit(long bytes) {
        proxyLimit.set(bytes);
    }

    /** Makes the capsule's disk full once this many bytes of an upload are written (-1: no limit). */
    public void setFreeSpace(long bytes) {
        freeSpace.set(bytes);
    }

    /** Cuts the connection of the next upload larger than this many content bytes when it gets there. */
    public void cutNextUploadAfter(long bytes) {
        cutUploadAfter.set(bytes);
    }

    /** Cuts the connection of the next download larger than this many bytes when it gets there. */
    public void cutNextDownloadAfter(long bytes) {
        cutDownloadAfter.set(bytes);
    }

    /**
     * Ends the next download larger than this many bytes there, cleanly, as the real server does
     * when the capsule's agent fails part-way (its status is already sent).
     */
    public void endNextDownloadAfter(long bytes) {
        endDownloadAfter.set(bytes);
    }

    // ---- routes

    boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        Matcher m = ROUTE.matcher(path);
        m.matches();
        String route = m.group(2);
        boolean upload = route.endsWith("write");
        // An upload's body is recorded by its size only: it may be gigabytes.
        server.record(method, path, request.getHttpURI().getQuery(), "", request.getHeaders());
        long proxy = proxyLimit.get();
        InputStream in = Content.Source.asInputStream(request);
        if (upload && proxy >= 0) {
            in = new ProxyLimited(in, proxy);
        }
        String requestId = server.current() ? server.newRequestId() : null;
        if (requestId != null) {
            response.getHeaders().put("X-Request-ID", requestId);
        }
        try {
            return route(request, response, callback, m.group(1), route, upload, in, requestId);
        } catch (ProxyLimited.Refused e) {
            return proxyRefused(response, callback, in);
        }
    }

    private boolean route(
            Request request,
            Response response,
            Callback callback,
            String id,
            String route,
            boolean upload,
            InputStream in,
            String requestId)
            throws Exception {
        String method = request.getMethod();
        if (!method.equals("POST")) {
            return methodNotAllowed(response, callback, in);
        }
        String path = Request.getPathInContext(request);
        if (upload && server.applyFault(method, path, response, callback, requestId)) {
            drain(in);
            return true;
        }
        if (!upload && server.applyFault(method, path, response, callback, requestId)) {
            return true;
        }
        String key = request.getHeaders().get("X-API-Key");
        if (!server.keyMatches(key)) {
            return fail(response, callback, requestId, server.badKey(key), in);
        }
        WrennTestServer.Lookup lookup = server.lookUp(id, true);
        if (lookup instanceof Refused r) {
            return fail(response, callback, requestId, r.http(), in);
        }
        TestCapsule c = ((Found) lookup).capsule();
        if (route.equals("write")) {
            return writeWhole(c, request, in, response, callback, requestId);
        }
        if (route.equals("stream/write")) {
            return streamWrite(c, request, in, response, callback, requestId);
        }
        JsonNode body;
        try {
            body = WrennTestServer.JSON.readTree(in);
        } catch (IOException e) {
            body = null;
        }
        if (body == null || !body.isObject()) {
            return fail(response, callback, requestId, invalidJson(), null);
        }
        String target = body.path("path").asText("");
        if (target.isEmpty()) {
            return fail(response, callback, requestId, fieldRequired("path", false), null);
        }
        Path file = resolve(c, target);
        return switch (route) {
            case "read" -> readWhole(target, file, response, callback, requestId);
            case "stream/read" -> streamRead(request, file, response, callback);
            case "list" -> list(target, file, body.path("depth").asInt(0), response, callback, requestId);
            case "mkdir" -> mkdir(file, response, callback, requestId);
            default -> remove(file, response, callback, requestId);
        };
    }

    /**
     * {@code Upload}: the whole body is read first (at most 100 MB, else 413), the parts in any
     * order, then the content goes to the capsule's agent in one call.
     */
    private boolean writeWhole(
            TestCapsule c, Request request, InputStream in, Response response, Callback callback, String requestId)
            throws IOException {
        String boundary = boundary(request, true);
        if (boundary == null) {
            return fail(response, callback, requestId, expectedMultipart(true), in);
        }
        CountedBody body = new CountedBody(in, UNARY_LIMIT);
        MultipartReader parts = new MultipartReader(body, boundary);
        String target = null;
        Path spool = Files.createTempFile("wrenn-upload", ".part");
        boolean hasFile = false;
        try {
            try {
                String name;
                while ((name = parts.nextPart()) != null) {
                    if (name.equals("path") && target == null) {
                        ByteArrayOutputStream text = new ByteArrayOutputStream();
                        parts.copyBody(text);
                        target = text.toString(StandardCharsets.UTF_8);
                    } else if (name.equals("file") && !hasFile) {
                        try (OutputStream out = Files.newOutputStream(spool)) {
                            parts.copyBody(out);
                        }
                        hasFile = true;
                    } else {
                        parts.copyBody(OutputStream.nullOutputStream());
                    }
                }
            } catch (CountedBody.TooLarge e) {
                drain(in);
                return fail(response, callback, requestId, tooLarge(), null);
            } catch (ProxyLimited.Refused e) {
                throw e;
            } catch (IOException e) {
                return fail(response, callback, requestId, expectedMultipart(true), in);
            }
            if (target == null || target.isEmpty()) {
                return fail(response, callback, requestId, fieldRequired("path", true), null);
            }
            if (!hasFile) {
                return fail(response, callback, requestId, fieldRequired("file", true), null);
            }
            Path written = resolve(c, target);
            if (Files.isDirectory(written)) {
                return fail(
                        response,
                        callback,
                        requestId,
                        envdWriteRefused(target, 400, "path is a directory: " + written),
                        null);
            }
            Files.createDirectories(written.getParent());
            long size = Files.size(spool);
            long free = freeSpace.get();
            try (InputStream content = Files.newInputStream(spool);
                    OutputStream out = Files.newOutputStream(written)) {
                if (free >= 0 && size > free) {
                    try {
                        content.transferTo(new Limited(out, free));
                    } catch (Limited.DiskFull e) {
                        // What fitted stays written.
                    }
                    // envd upload.go processFile: ENOSPC while writing, with the request's length.
                    return fail(
                            response,
                            callback,
                            requestId,
                            envdWriteRefused(
                                    target,
                                    507,
                                    "attempted to write " + size + " bytes: not enough disk space available"),
                            null);
                }
                content.transferTo(out);
            }
            c.lastActive = java.time.Instant.now();
            response.setStatus(204);
            callback.succeeded();
            return true;
        } finally {
            Files.deleteIfExists(spool);
        }
    }

    /**
     * {@code StreamUpload}: parts are read until both a non-empty {@code path} and a {@code file}
     * were seen, and the file part goes on to the agent as it is read. A {@code file} part before
     * the {@code path} part is skipped over while the path is read, so an empty file is written.
     */
    private boolean streamWrite(
            TestCapsule c, Request request, InputStream in, Response response, Callback callback, String requestId)
            throws IOException {
        String boundary = boundary(request, false);
        if (boundary == null) {
            return fail(response, callback, requestId, expectedMultipart(false), in);
        }
        MultipartReader parts = new MultipartReader(in, boundary);
        String target = "";
        boolean fileBeforePath = false;
        Path written = null;
        try {
            String name;
            while ((name = parts.nextPart()) != null) {
                if (name.equals("path")) {
                    ByteArrayOutputStream text = new ByteArrayOutputStream();
                    parts.copyBody(text);
                    target = text.toString(StandardCharsets.UTF_8);
                } else if (name.equals("file") && target.isEmpty()) {
                    parts.copyBody(OutputStream.nullOutputStream());
                    fileBeforePath = true;
                } else if (name.equals("file")) {
                    written = resolve(c, target);
                    if (Files.isDirectory(written)) {
                        drain(in);
                        return fail(
                                response,
                                callback,
                                requestId,
                                envdWriteRefused(target, 400, "path is a directory: " + written),
                                null);
                    }
                    Files.createDirectories(written.getParent());
                    try (OutputStream out = Files.newOutputStream(written)) {
                        parts.copyBody(new Limited(out, freeSpace.get(), cutUploadAfter));
                        c.lastActive = java.time.Instant.now();
                    }
                    break;
                } else {
                    parts.copyBody(OutputStream.nullOutputStream());
                }
                if (!target.isEmpty() && fileBeforePath) {
                    written = resolve(c, target);
                    Files.createDirectories(written.getParent());
                    Files.write(written, new byte[0]);
                    break;
                }
            }
        } catch (Limited.DiskFull e) {
            return diskFullWhileStreaming(request, restFitsInOneChunk(parts), in, response, callback, requestId);
        } catch (Limited.Cut e) {
            request.getConnectionMetaData().getConnection().getEndPoint().close();
            callback.failed(e);
            return true;
        } catch (ProxyLimited.Refused e) {
            if (written != null) {
                // Behind a buffering proxy the server never saw the request.
                Files.deleteIfExists(written);
            }
            throw e;
        } catch (IOException e) {
            return fail(response, callback, requestId, malformedMultipart(), in);
        }
        drain(in);
        if (target.isEmpty()) {
            return fail(response, callback, requestId, fieldRequired("path", true), null);
        }
        if (written == null) {
            return fail(response, callback, requestId, fieldRequired("file", true), null);
        }
        response.setStatus(204);
        callback.succeeded();
        return true;
    }

    /**
     * A full disk part-way through a streamed upload. The capsule's agent gives up, so the control
     * plane's next chunk cannot be sent ({@code StreamUpload}: V0_1_5 502 "failed to stream file
     * chunk", CURRENT {@code HostUnreachable}); only when the rest of the file fits in the chunk
     * already on its way does the agent's own answer come back (envd's 507, which only V0_1_5
     * passes on in words). Go then reads at most 256 KiB of the body left unread and closes the
     * connection after its answer.
     */
    private boolean diskFullWhileStreaming(
            Request request, boolean lastChunk, InputStream in, Response response, Callback callback, String requestId)
            throws IOException {
        ApiError error;
        if (lastChunk) {
            error = server.current()
                    ? new ApiError(500, "internal_error", INTERNAL_MESSAGE)
                    : new ApiError(
                            502,
                            "agent_error",
                            "internal: envd write: status 507: " + envdJson(507, "not enough disk space available"));
        } else {
            error = server.current()
                    ? new ApiError(
                            502,
                            "host_unreachable",
                            "Could not reach the sandbox's host. Try again shortly.",
                            true,
                            java.util.Map.of())
                    : new ApiError(502, "agent_error", "failed to stream file chunk");
        }
        long skipped = in.skip(GO_UNREAD_BODY_LIMIT + 1);
        while (skipped > 0 && skipped <= GO_UNREAD_BODY_LIMIT) {
            long more = in.skip(GO_UNREAD_BODY_LIMIT + 1 - skipped);
            if (more <= 0) {
                break;
            }
            skipped += more;
        }
        if (skipped <= GO_UNREAD_BODY_LIMIT) {
            return server.error(response, callback, error, requestId);
        }
        // net/http's closeWriteAndWait: the answer, then FIN, then the close 500 ms later, so that
        // the client can read the answer before the rest of its body is refused.
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        Callback goClose = Callback.from(
                () -> Thread.startVirtualThread(() -> {
                    endPoint.shutdownOutput();
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    endPoint.close();
                    callback.succeeded();
                }),
                callback::failed);
        return server.error(response, goClose, error, requestId);
    }

    /** Whether what is left of the file part fits in the one chunk the control plane has already sent on. */
    private static boolean restFitsInOneChunk(MultipartReader parts) {
        long[] left = {0};
        OutputStream counter = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[1], 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                left[0] += len;
                if (left[0] > CHUNK) {
                    throw new IOException("more than one chunk");
                }
            }
        };
        try {
            parts.copyBody(counter);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** An upload the capsule's agent refused with an HTTP status (envd {@code upload.go}), as each generation passes it on. */
    private ApiError envdWriteRefused(String target, int status, String message) {
        return server.current()
                ? new ApiError(500, "internal_error", INTERNAL_MESSAGE)
                : new ApiError(
                        502,
                        "agent_error",
                        "internal: write file: write file " + target + ": status " + status + ": "
                                + envdJson(status, message));
    }

    private ApiError tooLarge() {
        return server.current()
                ? new ApiError(413, "payload_too_large", "File exceeds the 100 MB limit.")
                : new ApiError(413, "too_large", "file exceeds 100 MB limit");
    }

    /**
     * {@code Download} through envd's {@code GET /files}: a missing file (404) or a directory (400)
     * comes back as a plain error, which CURRENT's {@code envdErr} turns into {@code internal_error}.
     */
    private boolean readWhole(String target, Path file, Response response, Callback callback, String requestId)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            int status = Files.exists(file) ? 400 : 404;
            String message =
                    status == 404 ? "path '" + file + "' does not exist" : "path '" + file + "' is a directory";
            ApiError error = server.current()
                    ? new ApiError(500, "internal_error", INTERNAL_MESSAGE)
                    : new ApiError(
                            502,
                            "agent_error",
                            "internal: read file: read file " + target + ": status " + status + ": "
                                    + envdJson(status, message));
            return fail(response, callback, requestId, error, null);
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        response.write(true, java.nio.ByteBuffer.wrap(Files.readAllBytes(file)), callback);
        return true;
    }

    /** {@code StreamDownload}: the status goes out first, and a read failure just ends the content. */
    private boolean streamRead(Request request, Path file, Response response, Callback callback) throws IOException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        OutputStream out = Content.Sink.asOutputStream(response);
        long sent = 0;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[CHUNK];
            int n;
            while ((n = in.read(buf)) > 0) {
                long cut = cutDownloadAfter.get();
                long end = endDownloadAfter.get();
                if (cut >= 0 && sent + n > cut && cutDownloadAfter.compareAndSet(cut, -1)) {
                    out.write(buf, 0, (int) (cut - sent));
                    out.flush();
                    request.getConnectionMetaData()
                            .getConnection()
                            .getEndPoint()
                            .close();
                    callback.failed(new IOException("cut by the test"));
                    return true;
                }
                if (end >= 0 && sent + n > end && endDownloadAfter.compareAndSet(end, -1)) {
                    out.write(buf, 0, (int) (end - sent));
                    break;
                }
                out.write(buf, 0, n);
                sent += n;
            }
        } catch (NoSuchFileException e) {
            // The agent's error comes after the headers: the answer ends empty.
        } catch (IOException e) {
            // Any other read failure (a directory, say) also just ends the answer.
        }
        out.close();
        callback.succeeded();
        return true;
    }

    /**
     * envd {@code ListDir}: the path is followed if it is a link, its entries are walked in name
     * order to {@code depth} (0 means 1) without following links, each named below the path asked
     * for.
     */
    private boolean list(String target, Path dir, int depth, Response response, Callback callback, String requestId)
            throws IOException {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            return fail(
                    response,
                    callback,
                    requestId,
                    envdRpcError(
                            "not_found",
                            "list dir",
                            "path not found: lstat " + firstMissing(dir) + ": no such file or directory"),
                    null);
        }
        if (!Files.isDirectory(real)) {
            return fail(
                    response,
                    callback,
                    requestId,
                    envdRpcError("invalid_argument", "list dir", "path is not a directory: " + real),
                    null);
        }
        ObjectNode out = WrennTestServer.JSON.createObjectNode();
        ArrayNode entries = out.putArray("entries");
        walk(real, dir, Math.max(1, depth), entries);
        return json(response, callback, out);
    }

    private static void walk(Path real, Path named, int depth, ArrayNode entries) throws IOException {
        if (depth == 0) {
            return;
        }
        java.util.List<Path> children;
        try (Stream<Path> s = Files.list(real)) {
            children = s.sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
        for (Path child : children) {
            Path name = named.resolve(child.getFileName().toString());
            ObjectNode e = entry(child);
            e.put("path", name.toString());
            entries.add(e);
            if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                walk(child, name, depth - 1, entries);
            }
        }
    }

    /** envd {@code MakeDir}: parents are created, but an existing directory is refused. */
    private boolean mkdir(Path dir, Response response, Callback callback, String requestId) throws IOException {
        if (Files.isDirectory(dir)) {
            return fail(
                    response,
                    callback,
                    requestId,
                    envdRpcError("already_exists", "make dir", "directory already exists: " + dir),
                    null);
        }
        if (Files.exists(dir)) {
            return fail(
                    response,
                    callback,
                    requestId,
                    envdRpcError(
                            "invalid_argument", "make dir", "path already exists but it is not a directory: " + dir),
                    null);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            return fail(response, callback, requestId, envdRpcError("internal", "make dir", e.toString()), null);
        }
        ObjectNode out = WrennTestServer.JSON.createObjectNode();
        out.set("entry", entry(dir));
        return json(response, callback, out);
    }

    /** envd {@code Remove}: {@code os.RemoveAll}, so a missing path is no error. */
    private boolean remove(Path target, Response response, Callback callback, String requestId) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> walk = Files.walk(target)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        response.setStatus(204);
        callback.succeeded();
        return true;
    }

    /**
     * envd {@code GetEntryInfo} through {@code entryInfoToPB} and {@code fileEntryFromPB}: a link
     * is described by what it resolves to (type, permission bits, absolute target), except its
     * size, which is the link's own; a link that resolves nowhere is {@code unknown} with mode 0.
     */
    private static ObjectNode entry(Path p) throws IOException {
        ObjectNode n = WrennTestServer.JSON.createObjectNode();
        java.nio.file.attribute.PosixFileAttributes own =
                Files.readAttributes(p, java.nio.file.attribute.PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        n.put("name", p.getFileName().toString());
        n.put("path", p.toString());
        java.nio.file.attribute.PosixFileAttributes described = own;
        String target = null;
        if (own.isSymbolicLink()) {
            Path resolved;
            try {
                resolved = p.toRealPath();
            } catch (IOException e) {
                resolved = p;
            }
            target = resolved.toString();
            try {
                described = Files.readAttributes(resolved, java.nio.file.attribute.PosixFileAttributes.class);
            } catch (IOException e) {
                described = null;
            }
        }
        String type = described == null
                ? "unknown"
                : described.isRegularFile() ? "file" : described.isDirectory() ? "directory" : "unknown";
        n.put("type", type);
        n.put("size", own.size());
        n.put("mode", described == null ? 0 : bits(described.permissions()));
        n.put("permissions", modeString(own));
        n.put("owner", own.owner().getName());
        n.put("group", own.group().getName());
        n.put("modified_at", own.lastModifiedTime().toMillis() / 1000);
        if (target != null) {
            n.put("symlink_target", target);
        }
        return n;
    }

    private static int bits(Set<PosixFilePermission> perms) {
        int mode = 0;
        for (PosixFilePermission perm : perms) {
            mode |= 1 << (8 - perm.ordinal());
        }
        return mode;
    }

    /** Go's {@code os.FileMode.String()} of the entry itself, e.g. {@code drwxr-xr-x} or {@code Lrwxrwxrwx}. */
    private static String modeString(java.nio.file.attribute.PosixFileAttributes a) {
        String kind = a.isDirectory() ? "d" : a.isSymbolicLink() ? "L" : a.isRegularFile() ? "-" : "?";
        return kind + PosixFilePermissions.toString(a.permissions());
    }

    /** The path as EvalSymlinks names it when it fails: the first part that does not exist. */
    private static Path firstMissing(Path p) {
        Path at = p.getRoot();
        for (Path part : p) {
            at = at == null ? part : at.resolve(part);
            if (!Files.exists(at, LinkOption.NOFOLLOW_LINKS)) {
                return at;
            }
        }
        return p;
    }

    private static Path resolve(TestCapsule c, String path) {
        Path p = Path.of(path);
        return p.isAbsolute() ? p : c.workDir.resolve(p);
    }

    // ---- errors, in the words of each generation

    /**
     * An error of envd's filesystem RPCs (a Connect code and text), as it reaches the user:
     * CURRENT's {@code envdErr} keeps the text of not-found, invalid-argument and already-exists
     * errors and hides every other; V0_1_5's {@code envdErr} and {@code agentErrToHTTP} pass on
     * the whole chain of texts.
     */
    private ApiError envdRpcError(String rpcCode, String action, String text) {
        int status =
                switch (rpcCode) {
                    case "not_found" -> 404;
                    case "invalid_argument" -> 400;
                    case "already_exists" -> 409;
                    default -> server.current() ? 500 : 502;
                };
        String code =
                switch (status) {
                    case 404 -> "not_found";
                    case 400 -> "invalid_request";
                    case 409 -> "conflict";
                    default -> server.current() ? "internal_error" : "agent_error";
                };
        if (server.current()) {
            return new ApiError(status, code, status >= 500 ? INTERNAL_MESSAGE : text);
        }
        return new ApiError(status, code, rpcCode + ": " + action + ": " + action + ": " + rpcCode + ": " + text);
    }

    /** envd's {@code jsonError} body, newline included, which V0_1_5 quotes inside its message. */
    private static String envdJson(int status, String message) {
        ObjectNode n = WrennTestServer.JSON.createObjectNode();
        n.put("code", status);
        n.put("message", message);
        return n.toString() + "\n";
    }

    private ApiError fieldRequired(String field, boolean upload) {
        if (server.current()) {
            String text = "path".equals(field) ? "The path field is required." : "The file field is required.";
            return new ApiError(400, "validation_failed", text, false, java.util.Map.of("field", field));
        }
        return new ApiError(400, "invalid_request", upload ? field + " field is required" : field + " is required");
    }

    private ApiError expectedMultipart(boolean unary) {
        if (server.current()) {
            return new ApiError(
                    400,
                    "invalid_request",
                    unary ? "Expected multipart/form-data." : "Expected multipart/form-data with a boundary.");
        }
        return new ApiError(
                400,
                "invalid_request",
                unary ? "expected multipart/form-data" : "expected multipart/form-data with boundary");
    }

    private ApiError malformedMultipart() {
        return server.current()
                ? new ApiError(400, "invalid_request", "Malformed multipart request body.")
                : new ApiError(400, "invalid_request", "failed to parse multipart");
    }

    private ApiError invalidJson() {
        return server.current()
                ? new ApiError(400, "invalid_request", "Invalid JSON body.")
                : new ApiError(400, "invalid_request", "invalid JSON body");
    }

    /**
     * The boundary of a multipart body: {@code ParseMultipartForm} wants {@code multipart/form-data},
     * {@code StreamUpload} only a boundary parameter.
     */
    private static String boundary(Request request, boolean formDataOnly) {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (type == null) {
            return null;
        }
        if (formDataOnly && !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            return null;
        }
        Matcher b = Pattern.compile("(?i);\\s*boundary=\"?([^\";]+)\"?").matcher(type);
        return b.find() ? b.group(1) : null;
    }

    /** nginx's answer to a body over {@code client_max_body_size}: not the API's JSON, and no request id. */
    private static boolean proxyRefused(Response response, Callback callback, InputStream in) throws IOException {
        ((ProxyLimited) in).discardRest();
        response.getHeaders().remove("X-Request-ID");
        response.setStatus(413);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html");
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        Content.Sink.write(
                response,
                true,
                "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
                        + "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
                        + "</body>\r\n</html>\r\n",
                callback);
        return true;
    }

    private boolean fail(Response response, Callback callback, String requestId, ApiError e, InputStream unread)
            throws IOException {
        if (unread != null) {
            drain(unread);
        }
        return server.error(response, callback, e, requestId);
    }

    /** chi's answer to a route's other methods: 405 with an empty body. */
    private static boolean methodNotAllowed(Response response, Callback callback, InputStream in) throws IOException {
        drain(in);
        response.setStatus(405);
        callback.succeeded();
        return true;
    }

    private static boolean json(Response response, Callback callback, JsonNode body) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, body.toString(), callback);
        return true;
    }

    /** Reads what the client still sends, so that it reads the answer instead of a broken pipe. */
    private static void drain(InputStream in) throws IOException {
        in.transferTo(OutputStream.nullOutputStream());
    }

    /** A request body that fails, in its subclass's way, once more than the limit has been read. */
    private abstract static class LimitedBody extends java.io.FilterInputStream {
        private final long limit;
        private long read;

        LimitedBody(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        abstract IOException overLimit();

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                read += n;
                if (read > limit) {
                    throw overLimit();
                }
            }
            return n;
        }
    }

    /** The request body behind a proxy that refuses it once it passes the limit. */
    private static final class ProxyLimited extends LimitedBody {
        static final class Refused extends IOException {}

        ProxyLimited(InputStream in, long limit) {
            super(in, limit);
        }

        @Override
        IOException overLimit() {
            return new Refused();
        }

        /** What the proxy reads and throws away after refusing (nginx's lingering close). */
        void discardRest() throws IOException {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    /** {@code http.MaxBytesReader}: the whole body, not only the file, counts against the limit. */
    private static final class CountedBody extends LimitedBody {
        static final class TooLarge extends IOException {}

        CountedBody(InputStream in, long limit) {
            super(in, limit);
        }

        @Override
        IOException overLimit() {
            return new TooLarge();
        }
    }

    /** The file part's destination, with the free space and the cut applied. */
    private static final class Limited extends OutputStream {
        static final class DiskFull extends IOException {}

        static final class Cut extends IOException {}

        private final OutputStream out;
        private final long free;
        private final AtomicLong cut;
        private long written;

        Limited(OutputStream out, long free) {
            this(out, free, new AtomicLong(-1));
        }

        Limited(OutputStream out, long free, AtomicLong cut) {
            this.out = out;
            this.free = free;
            this.cut = cut;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            long after = written + len;
            long cutAt = cut.get();
            if (cutAt >= 0 && after > cutAt && cut.compareAndSet(cutAt, -1)) {
                throw new Cut();
            }
            if (free >= 0 && after > free) {
                out.write(b, off, (int) Math.max(0, free - written));
                written = free;
                throw new DiskFull();
            }
            out.write(b, off, len);
            written = after;
        }
    }

    /** Reads {@code multipart/form-data} part by part without holding a part in memory. */
    static final class MultipartReader {
        private final InputStream in;
        private final byte[] delimiter;
        private final byte[] buf = new byte[128 * 1024];
        private int pos;
        private int lim;
        private boolean started;
        private boolean finished;

        MultipartReader(InputStream in, String boundary) {
            this.in = in;
            this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
        }

        /** Moves to the next part and returns its form name, or null after the last part. */
        String nextPart() throws IOException {
            if (finished) {
                return null;
            }
            if (!started) {
                started = true;
                String first = readLine();
                if (!first.equals(new String(delimiter, 2, delimiter.length - 2, StandardCharsets.US_ASCII))) {
                    throw new IOException("no opening boundary");
                }
            }
            String name = null;
            String line;
            while (!(line = readLine()).isEmpty()) {
                Matcher m = Pattern.compile("(?i)content-disposition:.*\\bname=\"([^\"]*)\"")
                        .matcher(line);
                if (m.find()) {
                    name = m.group(1);
                }
            }
            return name == null ? "" : name;
        }

        /** Copies the current part's content and moves past its closing boundary; returns its size. */
        long copyBody(OutputStream out) throws IOException {
            long total = 0;
            while (true) {
                fill(delimiter.length);
                int at = indexOf(delimiter);
                if (at >= 0) {
                    out.write(buf, pos, at - pos);
                    total += at - pos;
                    pos = at + delimiter.length;
                    fill(2);
                    if (lim - pos < 2) {
                        throw new IOException("multipart body ends without a closing boundary");
                    }
                    if (buf[pos] == '-' && buf[pos + 1] == '-') {
                        finished = true;
                    }
                    readLine();
                    return total;
                }
                int safe = lim - delimiter.length + 1;
                if (safe <= pos) {
                    throw new IOException("multipart body ends inside a part");
                }
                out.write(buf, pos, safe - pos);
                total += safe - pos;
                pos = safe;
            }
        }

        private String readLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                if (pos >= lim) {
                    fill(1);
                    if (pos >= lim) {
                        return line.toString(StandardCharsets.UTF_8);
                    }
                }
                byte c = buf[pos++];
                if (c == '\n') {
                    String s = line.toString(StandardCharsets.UTF_8);
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
                line.write(c);
            }
        }

        /** Reads until at least {@code want} bytes are buffered or the body ends. */
        private void fill(int want) throws IOException {
            if (lim - pos >= want) {
                return;
            }
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
            while (lim < buf.length) {
                int n = in.read(buf, lim, buf.length - lim);
                if (n < 0) {
                    return;
                }
                lim += n;
                if (lim - pos >= want && lim > buf.length / 2) {
                    return;
                }
            }
        }

        private int indexOf(byte[] needle) {
            outer:
            for (int i = pos; i <= lim - needle.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (buf[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }
    }
}
