package io.jenkins.plugins.wrenn.testserver;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One process of a test capsule, started by {@link CapsuleDaemon} as the real daemon starts it,
 * with its output fanned out to whoever is attached at the moment it is written. Like the real
 * daemon, nothing is replayed to late subscribers, and detaching every subscriber does not end the
 * process.
 *
 * <p>The daemon reaps it and passes on its real wait status: its exit code is its own for 0..255
 * and -1 only when a signal ended it, and a stopped process never ends.
 */
public final class LocalProcess {

    /** One receiver of a process's output events, as raw bytes: each read of a pipe is one event. */
    interface Subscriber {
        void output(String stream, byte[] data, int length);

        void exited(int exitCode);
    }

    private final long pid;
    private final InputStream stdout;
    private final InputStream stderr;
    private final String tag;
    private final String cmd;
    private final List<String> args;
    private final boolean foreground;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final AtomicInteger pending = new AtomicInteger(3);
    private final CompletableFuture<Integer> reaped = new CompletableFuture<>();
    private final int chunkBytes;
    private volatile Integer exitCode;

    LocalProcess(
            long pid,
            InputStream stdout,
            InputStream stderr,
            String tag,
            String cmd,
            List<String> args,
            boolean foreground,
            int chunkBytes) {
        this.pid = pid;
        this.stdout = stdout;
        this.stderr = stderr;
        this.tag = tag;
        this.cmd = cmd;
        this.args = List.copyOf(args);
        this.foreground = foreground;
        this.chunkBytes = chunkBytes;
    }

    /**
     * Starts pumping output; subscribers added before this see every byte. {@code onReaped} runs
     * when the process has been reaped, {@code onEnd} once its output pipes have closed too, right
     * after the exit event went out; the exit event comes only after all output, as from envd.
     */
    void start(Consumer<LocalProcess> onReaped, Consumer<LocalProcess> onEnd) {
        pump(stdout, "stdout", onEnd);
        pump(stderr, "stderr", onEnd);
        reaped.thenRun(() -> {
            onReaped.accept(this);
            ended(onEnd);
        });
    }

    /**
     * The daemon reaped the process: its raw wait status, or null when the daemon itself went away
     * (the capsule's end), which leaves no status, as for a death by signal.
     */
    void reaped(Integer waitStatus) {
        // WIFEXITED: the low 7 bits are 0; the code is then in the next 8.
        reaped.complete(waitStatus != null && (waitStatus & 0x7f) == 0 ? (waitStatus >> 8) & 0xff : -1);
    }

    private void ended(Consumer<LocalProcess> onEnd) {
        if (pending.decrementAndGet() != 0) {
            return;
        }
        int code = reaped.join();
        exitCode = code;
        for (Subscriber s : subscribers) {
            s.exited(code);
        }
        subscribers.clear();
        onEnd.accept(this);
    }

    private void pump(InputStream in, String stream, Consumer<LocalProcess> onEnd) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[chunkBytes];
                    try (in) {
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            for (Subscriber s : subscribers) {
                                s.output(stream, buf, n);
                            }
                        }
                    } catch (IOException e) {
                        // The pipe is gone; what was read before has been published.
                    } finally {
                        ended(onEnd);
                    }
                },
                "wrenn-test-" + stream + "-" + pid);
        t.setDaemon(true);
        t.start();
    }

    void subscribe(Subscriber s) {
        subscribers.add(s);
    }

    void unsubscribe(Subscriber s) {
        subscribers.remove(s);
    }

    /** Waits until the process has been reaped; false when it still runs after this long. */
    boolean awaitReaped(long millis) throws InterruptedException {
        try {
            reaped.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    public long pid() {
        return pid;
    }

    public String tag() {
        return tag;
    }

    public String cmd() {
        return cmd;
    }

    public List<String> args() {
        return args;
    }

    /** Whether it was started by a foreground exec (the daemon lists those too). */
    boolean foreground() {
        return foreground;
    }

    /** Whether the process has not been reaped yet (a stopped process never is). */
    public boolean isAlive() {
        return !reaped.isDone();
    }

    /** The exit code once the process has exited and its output pipes have closed, else null. */
    public Integer exitCode() {
        return exitCode;
    }
}
