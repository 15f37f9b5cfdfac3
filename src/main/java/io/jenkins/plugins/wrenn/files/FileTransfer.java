package io.jenkins.plugins.wrenn.files;

import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.ExecResult;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.ApiFailures;
import java.io.ByteArrayInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Copies files into a capsule and back, each direction as one archive: many small files cost
 * about as much as one file of the same bytes.
 *
 * <p>Into the capsule: the files are packed into a tar stream as it is sent (one file open at a
 * time) to a temporary file in the target directory (created when missing), then one command
 * unpacks it there and removes it. Back: one command lists the files below
 * the capsule directory, the patterns select among them here, a second command packs the
 * selection, and the archive is streamed back and unpacked as it arrives, every name checked by
 * {@link SafeNames}. The capsule needs {@code sh}, {@code find} and {@code tar} (GNU or BusyBox).
 *
 * <p>A transfer either completes or throws a {@link TransferException} whose message names the
 * path involved; a cut transfer is never reported as done: the upload must be acknowledged and
 * unpacked with exit code 0, and a download must bring exactly the archive's size and end.
 */
public final class FileTransfer {

    /** How often a long transfer writes a progress line. */
    public static final Duration DEFAULT_PROGRESS_INTERVAL = Duration.ofSeconds(10);

    /** How long one transfer (upload or download of the archive, or a command) may take. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(2);

    /** Exit code of the commands below when the capsule directory is missing. */
    private static final int NO_DIRECTORY = 66;

    private static final String UNPACK = "mkdir -p -- \"$1\" || { rm -f -- \"$2\"; exit " + NO_DIRECTORY + "; }\n"
            + "tar -x -o -f \"$2\" -C \"$1\"; rc=$?\n"
            + "rm -f -- \"$2\"\n"
            + "exit $rc\n";
    /** Prints the capsule's temporary directory (where the transfer's own files go), then the files. */
    private static final String LIST = "cd -- \"$1\" 2>/dev/null || exit " + NO_DIRECTORY + "\n"
            + "printf '%s\\0' \"${TMPDIR:-/tmp}\"\n"
            + "find . \\( -type f -o -type l \\) -print0\n";

    private static final String PACK = "cd -- \"$1\" 2>/dev/null || exit " + NO_DIRECTORY + "\n"
            + "tar -c -f \"$2\" -T \"$3\"; rc=$?\n"
            + "rm -f -- \"$3\"\n"
            + "[ $rc -eq 0 ] || { rm -f -- \"$2\"; exit $rc; }\n"
            + "wc -c < \"$2\"\n";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final WrennClient client;
    private final String capsuleId;
    private final String credentialsName;
    private final PrintStream log;
    private Duration progressInterval = DEFAULT_PROGRESS_INTERVAL;
    private Duration timeout = DEFAULT_TIMEOUT;

    /**
     * @param credentialsName how messages name the API key's credentials, or null
     * @param log the build log
     */
    public FileTransfer(WrennClient client, String capsuleId, String credentialsName, PrintStream log) {
        this.client = client;
        this.capsuleId = WrennClient.checkCapsuleId(capsuleId);
        this.credentialsName = credentialsName;
        this.log = log;
    }

    public FileTransfer progressEvery(Duration interval) {
        this.progressInterval = interval;
        return this;
    }

    public FileTransfer timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /**
     * What moved.
     *
     * @param files files (and links) moved
     * @param bytes content bytes moved
     * @param took how long the transfer took
     */
    public record Summary(int files, long bytes, Duration took) {}

    /**
     * Sends files into a directory of the capsule, keeping their relative paths and executable
     * bit; the directory is created when missing.
     *
     * @param selection how the log names where the files came from, e.g. the directory and patterns
     * @param allowEmpty whether an empty selection is fine (otherwise it fails the transfer)
     */
    public Summary put(List<SourceFile> files, String selection, String into, boolean allowEmpty)
            throws TransferException, InterruptedException {
        checkCapsulePath(into, "into");
        if (files.isEmpty()) {
            return nothing(
                    "No files in " + selection + "; nothing was sent to " + into + " in capsule " + capsuleId + ".",
                    allowEmpty);
        }
        long bytes = files.stream().mapToLong(SourceFile::size).sum();
        Progress progress = new Progress(log, "sent", bytes, progressInterval);
        // Staged in the target directory, on the disk the files go to, so a full disk names it.
        String archive = (into.endsWith("/") ? into : into + "/") + ".wrenn-put-" + random() + ".tar";
        try {
            client.files()
                    .write(
                            capsuleId,
                            archive,
                            new TarStream(files, System.currentTimeMillis() / 1000, progress::add),
                            timeout);
        } catch (WrennApiException e) {
            TransferException own = ownCause(e);
            removeQuietly(archive);
            if (own != null) {
                throw own;
            }
            throw failure("send the files to " + into, into, e, true);
        }
        ExecResult unpacked = run(UNPACK, into, archive);
        if (unpacked.exitCode() == NO_DIRECTORY) {
            throw new TransferException(
                    "Could not create the directory " + into + " in capsule " + capsuleId + "; nothing was unpacked.");
        }
        if (unpacked.exitCode() != 0) {
            throw new TransferException("Could not unpack the files into " + into + " in capsule " + capsuleId
                    + " (tar exit code " + unpacked.exitCode() + "): " + said(unpacked)
                    + ". Some files may have been written there.");
        }
        Summary done = new Summary(files.size(), bytes, progress.elapsed());
        log.println("[wrenn] Sent " + count(done.files()) + " (" + Progress.size(bytes) + ") from " + selection + " to "
                + into + " in capsule " + capsuleId + " in " + Progress.seconds(done.took()));
        return done;
    }

    /**
     * Fetches the files below a capsule directory that match the patterns into a target
     * directory, keeping their relative paths and executable bit.
     *
     * @param targetLabel how the log names the target directory
     */
    public Summary get(
            String from,
            AntPatterns includes,
            AntPatterns excludes,
            TargetDirectory target,
            String targetLabel,
            boolean allowEmpty)
            throws TransferException, InterruptedException {
        checkCapsulePath(from, "from");
        long started = System.nanoTime();
        ExecResult listed = run(LIST, from);
        if (listed.exitCode() == NO_DIRECTORY) {
            throw new TransferException("The directory " + from + " does not exist in capsule " + capsuleId
                    + " (or is not a directory); nothing was fetched.");
        }
        if (listed.exitCode() != 0) {
            throw new TransferException("Could not list the files in " + from + " in capsule " + capsuleId
                    + " (exit code " + listed.exitCode() + "): " + said(listed));
        }
        List<String> selected = new ArrayList<>();
        String[] listing = listed.stdout().split("\0");
        String tmp = temporaryDirectory(listing[0]);
        for (int i = 1; i < listing.length; i++) {
            String name = listing[i];
            if (name.isEmpty()) {
                continue;
            }
            String relative = name.startsWith("./") ? name.substring(2) : name;
            if (includes.matches(relative) && !excludes.matches(relative)) {
                if (relative.indexOf('\n') >= 0 || relative.indexOf('\r') >= 0) {
                    throw new TransferException("Cannot fetch '" + relative.replace("\n", "\\n") + "' from " + from
                            + ": its name contains a line break");
                }
                selected.add("./" + relative);
            }
        }
        String patterns = "matching '" + includes + "'" + (excludes.isEmpty() ? "" : " (excluding '" + excludes + "')");
        if (selected.isEmpty()) {
            return nothing(
                    "No files in " + from + " in capsule " + capsuleId + " " + patterns + "; nothing was fetched.",
                    allowEmpty);
        }
        String random = random();
        String list = tmp + "/.wrenn-get-" + random + ".list";
        String archive = tmp + "/.wrenn-get-" + random + ".tar";
        try {
            byte[] names = (String.join("\n", selected) + "\n").getBytes(StandardCharsets.UTF_8);
            try {
                client.files().write(capsuleId, list, new ByteArrayInputStream(names), timeout);
            } catch (WrennApiException e) {
                // A full disk leaves what was written of it.
                removeQuietly(list);
                throw failure("prepare the transfer from " + from, tmp, e, true);
            }
            ExecResult packed = run(PACK, from, archive, list);
            if (packed.exitCode() != 0) {
                throw new TransferException("Could not pack the files in " + from + " in capsule " + capsuleId
                        + " (tar exit code " + packed.exitCode() + "): " + said(packed));
            }
            long size = parseSize(packed.stdout(), from);
            return receive(from, archive, size, target, targetLabel, patterns, started);
        } finally {
            removeQuietly(archive);
        }
    }

    /**
     * The capsule's temporary directory as its shell names it ({@code TMPDIR}, else {@code /tmp}),
     * as the other scripts use it; {@code /tmp} when that is not an absolute path.
     */
    static String temporaryDirectory(String said) {
        String dir = said.strip();
        while (dir.length() > 1 && dir.endsWith("/")) {
            dir = dir.substring(0, dir.length() - 1);
        }
        return dir.startsWith("/") && !dir.contains("\n") ? dir : "/tmp";
    }

    private Summary receive(
            String from,
            String archive,
            long size,
            TargetDirectory target,
            String targetLabel,
            String patterns,
            long started)
            throws TransferException, InterruptedException {
        Progress progress = new Progress(log, "fetched", size, progressInterval);
        long arrived;
        try (TarUnpacker unpacker = new TarUnpacker(target)) {
            OutputStream counted = new FilterOutputStream(unpacker) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    unpacker.write(b, off, len);
                    progress.add(len);
                }
            };
            try {
                arrived = client.files().read(capsuleId, archive, counted, timeout);
            } catch (WrennApiException e) {
                throw failure("fetch the files from " + from, from, e, false);
            }
            if (arrived != size) {
                throw new TransferException(
                        "The transfer from " + from + " in capsule " + capsuleId + " was cut short: "
                                + arrived + " of " + size + " bytes arrived; the files in " + targetLabel
                                + " are incomplete.");
            }
            unpacker.finish();
            Summary done =
                    new Summary(unpacker.files(), unpacker.bytes(), Duration.ofNanos(System.nanoTime() - started));
            log.println("[wrenn] Fetched " + count(done.files()) + " (" + Progress.size(done.bytes()) + ") "
                    + patterns + " from " + from + " in capsule " + capsuleId + " into " + targetLabel + " in "
                    + Progress.seconds(done.took()));
            return done;
        } catch (TransferException e) {
            throw e;
        } catch (IOException e) {
            // The target failed (a full or read-only workspace, say), not the transfer.
            throw new TransferException(
                    "Could not write the files fetched from " + from + " into " + targetLabel + ": " + e, e);
        }
    }

    private Summary nothing(String message, boolean allowEmpty) throws TransferException {
        if (!allowEmpty) {
            throw new TransferException(message + " Check the patterns, or set allowEmpty: true if that is expected.");
        }
        log.println("[wrenn] " + message);
        return new Summary(0, 0, Duration.ZERO);
    }

    private ExecResult run(String script, String... args) throws TransferException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("-c", script, "wrenn-files"));
        argv.addAll(List.of(args));
        int seconds = (int) Math.min(Integer.MAX_VALUE, timeout.toSeconds());
        try {
            return client.commands().run(capsuleId, ExecRequest.foreground("/bin/sh", argv, seconds));
        } catch (WrennApiException e) {
            throw new TransferException(
                    ApiFailures.of(client, capsuleId, credentialsName, e).getMessage(), e);
        }
    }

    /**
     * The message for a failed file call: too large and a full disk in the transfer's words, the
     * rest as every step says it. The real server rarely says that a disk is full: an upload the
     * capsule's agent gives up on part-way comes back as 502 "failed to stream file chunk"
     * (v0.1.5) or 502 {@code host_unreachable} (newer), and envd's 507 only reaches v0.1.5 users in
     * words ({@code handlers_files_stream.go} {@code StreamUpload}, {@code hostagent/server.go}
     * {@code envdErr}); so a broken upload names a full disk as a likely cause.
     */
    private TransferException failure(String doing, String path, WrennApiException e, boolean upload) {
        if (e.kind() == WrennApiException.Kind.TOO_LARGE) {
            // Neither server generation limits the streaming upload: a 413 there is a proxy's.
            String who = e.errorCode() == null ? "A proxy in front of the Wrenn server" : "The Wrenn server";
            // A proxy's page is described starting with its status already: say it once.
            String said = e.said();
            String why = said == null ? "HTTP 413" : said.startsWith("HTTP 413") ? said : "HTTP 413: " + said;
            return new TransferException(
                    who + " refused to " + doing + " in capsule " + capsuleId + ": too large (" + why
                            + "). Send fewer or smaller files per step, or raise the proxy's body size limit.",
                    e);
        }
        String said = e.serverMessage() == null ? "" : e.serverMessage().toLowerCase(Locale.ROOT);
        if (said.contains("no space left") || said.contains("not enough disk space") || said.contains("status 507")) {
            return new TransferException(
                    "The disk of capsule " + capsuleId + " is full: could not " + doing + " (" + path + "): "
                            + e.serverMessage(),
                    e);
        }
        String diskHint = upload
                        && (e.kind() == WrennApiException.Kind.SERVER_ERROR
                                || e.kind() == WrennApiException.Kind.CONNECTION_LOST)
                ? " A full disk in the capsule also breaks an upload off this way: check the free space of " + path
                        + " in the capsule (for example wrennExec cmd: 'df -h " + path + "')."
                : "";
        if (e.kind() == WrennApiException.Kind.CONNECTION_LOST) {
            return new TransferException(
                    "The connection broke while trying to " + doing + " in capsule " + capsuleId
                            + "; the transfer is incomplete: " + e.getMessage() + diskHint,
                    e);
        }
        return new TransferException(
                "Could not " + doing + ": "
                        + ApiFailures.of(client, capsuleId, credentialsName, e).getMessage() + diskHint,
                e);
    }

    /** A failure of the archive being sent (a file that changed), which the HTTP client wraps. */
    private static TransferException ownCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TransferException own) {
                return own;
            }
        }
        return null;
    }

    private long parseSize(String stdout, String from) throws TransferException {
        try {
            return Long.parseLong(stdout.trim());
        } catch (NumberFormatException e) {
            throw new TransferException("Could not pack the files in " + from + " in capsule " + capsuleId
                    + ": the archive's size came back as '" + stdout.trim() + "'");
        }
    }

    private void removeQuietly(String path) throws InterruptedException {
        try {
            client.files().remove(capsuleId, path);
        } catch (WrennApiException e) {
            log.println("[wrenn] Could not remove the temporary file " + path + " in capsule " + capsuleId + ": "
                    + e.getMessage());
        }
    }

    private static void checkCapsulePath(String path, String field) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException(
                    field + ": give an absolute directory in the capsule, such as /workspace, got '" + path + "'");
        }
    }

    private static String said(ExecResult r) {
        String text = (r.stderr().isBlank() ? r.stdout() : r.stderr()).strip();
        return text.length() > 2000 ? text.substring(0, 2000) + "..." : text;
    }

    private static String count(int files) {
        return files == 1 ? "1 file" : String.format(Locale.ROOT, "%,d files", files);
    }

    private static String random() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
