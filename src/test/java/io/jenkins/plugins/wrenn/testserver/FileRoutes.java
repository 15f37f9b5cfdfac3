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
import java.util.Comparator;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The files routes of the real server ({@code internal/api/handlers_files.go},
 * {@code handlers_files_stream.go}, {@code handlers_fs.go}), on the capsule's paths of this
 * machine: a relative path is taken from the capsule's working directory, an absolute one as it
 * is, so that commands and file routes see the same files.
 *
 * <p>As the real code does: {@code files/write} and {@code files/stream/write} take
 * {@code multipart/form-data} with a {@code path} field and a {@code file} field, create missing
 * parent directories and answer 204; {@code files/write} reads the whole upload and refuses more
 * than 100 MB with a 413; {@code files/stream/read} sends its 200 before it reads the file, so a
 * file that cannot be read (missing, or failing half-way) ends the answer early with no error in
 * it; {@code files/list} answers {@code {"entries":[...]}}, {@code files/mkdir}
 * {@code {"entry":{...}}}, {@code files/remove} 204 also for a path that does not exist. Errors of
 * the capsule's agent are 404 {@code not_found} or 502 {@code agent_error} with its text.
 *
 * <p>Faults: a size limit with a 413 on the streaming upload too (as a proxy in front or a newer
 * server would answer), a full disk, a connection cut part-way through an upload or a download.
 */
public final class FileRoutes {

    private static final Pattern ROUTE =
            Pattern.compile("^/api/v1/capsules/([^/]+)/files/(write|read|list|mkdir|remove|stream/write|stream/read)$");
    private static final long UNARY_LIMIT = 100L << 20;

    private final WrennTestServer server;
    private final AtomicLong sizeLimit = new AtomicLong(-1);
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

    /** Refuses any upload larger than this many bytes with a 413 (-1: only the real 100 MB of {@code files/write}). */
    public void setSizeLimit(long bytes) {
        sizeLimit.set(bytes);
    }

    /** Makes every upload fail with the agent's "no space left on device" once this many bytes are written (-1: no limit). */
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
        InputStream in = Content.Source.asInputStream(request);
        // An upload's body is recorded by its size only: it may be gigabytes.
        server.record(method, path, request.getHttpURI().getQuery(), "", request.getHeaders());
        String requestId = server.current() ? server.newRequestId() : null;
        if (requestId != null) {
            response.getHeaders().put("X-Request-ID", requestId);
        }
        if (!method.equals("POST")) {
            return notFound(response, callback, in);
        }
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
        WrennTestServer.Lookup lookup = server.lookUp(m.group(1), true);
        if (lookup instanceof Refused r) {
            return fail(response, callback, requestId, r.http(), in);
        }
        TestCapsule c = ((Found) lookup).capsule();
        if (upload) {
            return write(c, request, in, response, callback, requestId, route.equals("write"));
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
            return fail(response, callback, requestId, new ApiError(400, "invalid_request", "path is required"), null);
        }
        Path file = resolve(c, target);
        return switch (route) {
            case "read" -> readWhole(file, response, callback, requestId);
            case "stream/read" -> streamRead(request, file, response, callback);
            case "list" -> list(file, body.path("depth").asInt(0), response, callback, requestId);
            case "mkdir" -> mkdir(file, response, callback, requestId);
            default -> remove(file, response, callback, requestId);
        };
    }

    private boolean write(
            TestCapsule c,
            Request request,
            InputStream in,
            Response response,
            Callback callback,
            String requestId,
            boolean unary)
            throws IOException {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        Matcher b = type == null
                ? null
                : Pattern.compile("boundary=\"?([^\";]+)\"?").matcher(type);
        if (b == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data") || !b.find()) {
            return fail(
                    response,
                    callback,
                    requestId,
                    new ApiError(
                            400,
                            "invalid_request",
                            unary ? "expected multipart/form-data" : "expected multipart/form-data with boundary"),
                    in);
        }
        MultipartReader parts = new MultipartReader(in, b.group(1));
        long limit = unary ? minPositive(UNARY_LIMIT, sizeLimit.get()) : sizeLimit.get();
        String target = null;
        Path written = null;
        try {
            String name;
            while ((name = parts.nextPart()) != null) {
                if (name.equals("path")) {
                    ByteArrayOutputStream text = new ByteArrayOutputStream();
                    parts.copyBody(text);
                    target = text.toString(StandardCharsets.UTF_8);
                } else if (name.equals("file") && target != null && written == null) {
                    written = resolve(c, target);
                    Files.createDirectories(written.getParent());
                    try (OutputStream out = Files.newOutputStream(written)) {
                        parts.copyBody(new Limited(out, limit, cutUploadAfter, freeSpace.get()));
                        c.lastActive = java.time.Instant.now();
                    }
                } else {
                    parts.copyBody(OutputStream.nullOutputStream());
                }
            }
        } catch (Limited.TooLarge e) {
            drain(in);
            Files.deleteIfExists(written);
            return fail(response, callback, requestId, tooLarge(unary), null);
        } catch (Limited.DiskFull e) {
            drain(in);
            return fail(
                    response,
                    callback,
                    requestId,
                    new ApiError(502, "agent_error", "write " + written + ": no space left on device"),
                    null);
        } catch (Limited.Cut e) {
            request.getConnectionMetaData().getConnection().getEndPoint().close();
            callback.failed(e);
            return true;
        } catch (IOException e) {
            return fail(
                    response,
                    callback,
                    requestId,
                    new ApiError(400, "invalid_request", "failed to parse multipart"),
                    null);
        }
        if (target == null || target.isEmpty()) {
            return fail(
                    response,
                    callback,
                    requestId,
                    new ApiError(400, "invalid_request", "path field is required"),
                    null);
        }
        if (written == null) {
            return fail(
                    response,
                    callback,
                    requestId,
                    new ApiError(400, "invalid_request", "file field is required"),
                    null);
        }
        response.setStatus(204);
        callback.succeeded();
        return true;
    }

    private ApiError tooLarge(boolean unary) {
        if (server.current()) {
            return new ApiError(413, "payload_too_large", "The request body is too large.");
        }
        return unary
                ? new ApiError(413, "too_large", "file exceeds 100 MB limit")
                : new ApiError(413, "too_large", "request body too large");
    }

    private boolean readWhole(Path file, Response response, Callback callback, String requestId) throws IOException {
        if (!Files.isRegularFile(file)) {
            return fail(
                    response,
                    callback,
                    requestId,
                    new ApiError(404, "not_found", "open " + file + ": no such file or directory"),
                    null);
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        response.write(true, java.nio.ByteBuffer.wrap(Files.readAllBytes(file)), callback);
        return true;
    }

    /** As the real handler: the status goes out first, and a read failure just ends the content. */
    private boolean streamRead(Request request, Path file, Response response, Callback callback) throws IOException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        OutputStream out = Content.Sink.asOutputStream(response);
        long sent = 0;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[64 * 1024];
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
            // Any other read failure also just ends the answer, as on the real server.
        }
        out.close();
        callback.succeeded();
        return true;
    }

    private boolean list(Path dir, int depth, Response response, Callback callback, String requestId)
            throws IOException {
        if (!Files.isDirectory(dir)) {
            return fail(
                    response,
                    callback,
                    requestId,
                    new ApiError(404, "not_found", "stat " + dir + ": no such file or directory"),
                    null);
        }
        ObjectNode out = WrennTestServer.JSON.createObjectNode();
        ArrayNode entries = out.putArray("entries");
        try (Stream<Path> walk = Files.walk(dir, Math.max(1, depth))) {
            walk.filter(p -> !p.equals(dir)).sorted().forEach(p -> entries.add(entry(p)));
        }
        return json(response, callback, out);
    }

    private boolean mkdir(Path dir, Response response, Callback callback, String requestId) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            return fail(
                    response, callback, requestId, new ApiError(502, "agent_error", "mkdir " + dir + ": " + e), null);
        }
        ObjectNode out = WrennTestServer.JSON.createObjectNode();
        out.set("entry", entry(dir));
        return json(response, callback, out);
    }

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

    private static ObjectNode entry(Path p) {
        ObjectNode n = WrennTestServer.JSON.createObjectNode();
        n.put("name", p.getFileName().toString());
        n.put("path", p.toString());
        boolean link = Files.isSymbolicLink(p);
        n.put("type", link ? "symlink" : Files.isDirectory(p) ? "directory" : "file");
        try {
            n.put("size", link ? 0 : Files.size(p));
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            int mode = 0;
            for (PosixFilePermission perm : perms) {
                mode |= 1 << (8 - perm.ordinal());
            }
            n.put("mode", mode);
            if (link) {
                n.put("symlink_target", Files.readSymbolicLink(p).toString());
            }
        } catch (IOException e) {
            n.put("size", 0);
        }
        return n;
    }

    private static Path resolve(TestCapsule c, String path) {
        Path p = Path.of(path);
        return p.isAbsolute() ? p : c.workDir.resolve(p);
    }

    private ApiError invalidJson() {
        return server.current()
                ? new ApiError(400, "invalid_request", "Invalid JSON body.")
                : new ApiError(400, "invalid_request", "invalid JSON body");
    }

    private boolean fail(Response response, Callback callback, String requestId, ApiError e, InputStream unread)
            throws IOException {
        if (unread != null) {
            drain(unread);
        }
        return server.error(response, callback, e, requestId);
    }

    private static boolean notFound(Response response, Callback callback, InputStream in) throws IOException {
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

    private static long minPositive(long a, long b) {
        return b < 0 ? a : Math.min(a, b);
    }

    /** The file part's destination, with the size limit, the free space and the cut applied. */
    private static final class Limited extends OutputStream {
        static final class TooLarge extends IOException {}

        static final class DiskFull extends IOException {}

        static final class Cut extends IOException {}

        private final OutputStream out;
        private final long limit;
        private final AtomicLong cut;
        private final long free;
        private long written;

        Limited(OutputStream out, long limit, AtomicLong cut, long free) {
            this.out = out;
            this.limit = limit;
            this.cut = cut;
            this.free = free;
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
            if (limit >= 0 && after > limit) {
                throw new TooLarge();
            }
            if (free >= 0 && after > free) {
                out.write(b, off, (int) Math.max(0, free - written));
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
