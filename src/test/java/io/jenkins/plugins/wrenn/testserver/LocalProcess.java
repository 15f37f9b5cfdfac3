package io.jenkins.plugins.wrenn.testserver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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
            int code = process.waitFor();
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
                    CharsetDecoder decoder = StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPLACE)
                            .onUnmappableCharacter(CodingErrorAction.REPLACE);
                    ByteBuffer bytes = ByteBuffer.allocate(chunkBytes);
                    CharBuffer chars = CharBuffer.allocate(chunkBytes);
                    byte[] buf = new byte[chunkBytes];
                    try (in) {
                        int n;
                        while ((n = in.read(buf, 0, bytes.remaining())) > 0) {
                            bytes.put(buf, 0, n);
                            bytes.flip();
                            // A UTF-8 character cut by the chunk boundary stays in 'bytes' for the next read.
                            decoder.decode(bytes, chars, false);
                            bytes.compact();
                            publish(stream, chars);
                        }
                        bytes.flip();
                        decoder.decode(bytes, chars, true);
                        decoder.flush(chars);
                        publish(stream, chars);
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

    private void publish(String stream, CharBuffer chars) {
        chars.flip();
        if (chars.hasRemaining()) {
            String data = chars.toString();
            for (Subscriber s : subscribers) {
                s.output(stream, data);
            }
        }
        chars.clear();
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
