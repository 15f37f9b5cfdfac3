package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.StreamListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Receives the stream's events and writes them, masked, to the log. Also captures stdout when
 * asked, and remembers the pid for stopping and following. The engine's own notes go through
 * the same masking and always start on a line of their own, also after output without a final
 * newline; so does whatever Jenkins writes after the run.
 */
final class LogOutput implements StreamListener {
    private final OutputStream log;
    private final SecretMasker stdoutMask;
    private final SecretMasker stderrMask;
    private final ByteArrayOutputStream capture;
    private final CompletableFuture<Long> pid = new CompletableFuture<>();
    private final StderrMarker stderrMarker;
    private final List<String> secrets;
    /**
     * Held for each write. A lock, not a monitor: a virtual thread blocked on a slow log inside a
     * monitor pins its carrier thread on Java 21, and a few such would stall every stream.
     */
    private final ReentrantLock writing = new ReentrantLock();
    /** Whether the last character written to the log ended a line (true before anything is written); guarded by {@link #writing}. */
    private boolean atLineStart = true;

    LogOutput(OutputStream log, List<String> secrets, boolean captureStdout, StderrMarker stderrMarker) {
        this.log = log;
        this.stderrMarker = stderrMarker;
        this.secrets = List.copyOf(secrets);
        this.stdoutMask = new SecretMasker(secrets);
        this.stderrMask = new SecretMasker(secrets);
        this.capture = captureStdout ? new ByteArrayOutputStream() : null;
    }

    @Override
    public void onStart(long processId) {
        pid.complete(processId);
    }

    @Override
    public void onStdout(String data) {
        if (capture != null) {
            capture.writeBytes(data.getBytes(StandardCharsets.UTF_8));
        } else {
            write(stdoutMask.mask(data));
        }
    }

    @Override
    public void onStderr(String data) {
        writeStderr(stderrMask.mask(data));
    }

    private void writeStderr(String text) {
        if (!text.isEmpty()) {
            write(stderrMarker.before(text) + text);
        }
    }

    long pid() {
        return pid.getNow(-1L);
    }

    long awaitPid(Duration wait) throws InterruptedException {
        try {
            return pid.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return -1;
        }
    }

    void write(String text) {
        if (text.isEmpty()) {
            return;
        }
        writing.lock();
        try {
            log.write(text.getBytes(StandardCharsets.UTF_8));
            log.flush();
            atLineStart = text.charAt(text.length() - 1) == '\n';
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writing.unlock();
        }
    }

    /** Writes a {@code [wrenn]} line, masked, starting on a new line. */
    void note(String text) {
        SecretMasker mask = new SecretMasker(secrets);
        String line = mask.mask(Messages.Note_Prefix(text)) + mask.flush();
        writing.lock();
        try {
            write((atLineStart ? "" : "\n") + line + "\n");
        } finally {
            writing.unlock();
        }
    }

    /** Writes what the maskers held back, and ends an unfinished last line. */
    void finish() throws IOException {
        try {
            write(stdoutMask.flush());
            writeStderr(stderrMask.flush());
            endLine();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private void endLine() {
        writing.lock();
        try {
            if (!atLineStart) {
                write("\n");
            }
        } finally {
            writing.unlock();
        }
    }

    void finishQuietly() {
        try {
            finish();
        } catch (IOException | UncheckedIOException e) {
            // The run is failing already; that failure is the one to report.
        }
    }

    String captured() {
        return capture == null ? null : capture.toString(StandardCharsets.UTF_8);
    }
}
