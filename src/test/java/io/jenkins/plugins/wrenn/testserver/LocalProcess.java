package io.jenkins.plugins.wrenn.testserver;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A real local process started for a capsule, with its output fanned out to whoever is attached
 * at the moment it is written. Like the real server, nothing is replayed to late subscribers, and
 * detaching every subscriber does not end the process.
 */
public final class LocalProcess {

    /** One receiver of a process's output events. */
    interface Subscriber {
        void output(String stream, String data);

        void exited(int exitCode);
    }

    private final Process process;
    private final String tag;
    private final String cmd;
    private final List<String> args;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final AtomicInteger pumping = new AtomicInteger(2);
    private final int chunkBytes;
    private volatile Integer exitCode;

    LocalProcess(Process process, String tag, String cmd, List<String> args, int chunkBytes) {
        this.process = process;
        this.tag = tag;
        this.cmd = cmd;
        this.args = List.copyOf(args);
        this.chunkBytes = chunkBytes;
    }

    /**
     * Starts pumping output; subscribers added before this see every byte. The pump that finishes
     * last waits for the exit and reports it, after all output: two threads a process, as many as
     * the foreground exec uses, so that neither route pays for a thread the other does not.
     */
    void start(Consumer<LocalProcess> onExit) {
        pump(process.getInputStream(), "stdout", onExit);
        pump(process.getErrorStream(), "stderr", onExit);
    }

    private void reportExit(Consumer<LocalProcess> onExit) {
        try {
            int code = exitCodeOf(process.waitFor());
            exitCode = code;
            for (Subscriber s : subscribers) {
                s.exited(code);
            }
            subscribers.clear();
            onExit.accept(this);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void pump(InputStream in, String stream, Consumer<LocalProcess> onExit) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[chunkBytes];
                    try (in) {
                        int n;
                        // Each read is one message, decoded on its own as the real server does: a
                        // character cut by the chunk boundary arrives as replacement characters.
                        while ((n = in.read(buf)) > 0) {
                            String data = Utf8Chunk.decode(buf, n);
                            for (Subscriber s : subscribers) {
                                s.output(stream, data);
                            }
                        }
                    } catch (IOException e) {
                        // The process is gone; what it wrote before has been published.
                    } finally {
                        if (pumping.decrementAndGet() == 0) {
                            reportExit(onExit);
                        }
                    }
                },
                "wrenn-test-" + stream + "-" + process.pid());
        t.setDaemon(true);
        t.start();
    }

    /**
     * The exit code the real server reports. Its host agent has no exit status for a process that a
     * signal ended and sends -1; the JDK reports such a death as 128 + the signal number, so those
     * values are read as signal deaths (a process that really exits with 129..192 is rare enough).
     */
    static int exitCodeOf(int jdkExitValue) {
        return jdkExitValue > 128 && jdkExitValue <= 128 + 64 ? -1 : jdkExitValue;
    }

    void subscribe(Subscriber s) {
        subscribers.add(s);
    }

    void unsubscribe(Subscriber s) {
        subscribers.remove(s);
    }

    /** Sends SIGTERM ({@code force} false) or SIGKILL to the process and everything it started. */
    void signal(boolean force) {
        ProcessHandle handle = process.toHandle();
        List<ProcessHandle> tree = handle.descendants().toList();
        if (force) {
            handle.destroyForcibly();
            tree.forEach(ProcessHandle::destroyForcibly);
        } else {
            handle.destroy();
            tree.forEach(ProcessHandle::destroy);
        }
    }

    boolean awaitExit(long millis) throws InterruptedException {
        return process.waitFor(millis, TimeUnit.MILLISECONDS);
    }

    public long pid() {
        return process.pid();
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

    /** Whether the OS process is still alive. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code once the process has exited and its output has been delivered, else null. */
    public Integer exitCode() {
        return exitCode;
    }
}
