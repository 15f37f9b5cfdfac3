package io.jenkins.plugins.wrenn.testserver;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * What the daemon in one test capsule (envd) does with processes, per {@link ServerGeneration}: see
 * {@code docs/test-server.md} for each behaviour and the source it follows. In short: a process is
 * {@code /bin/sh -c '... exec "$@"'} (so its pid is the command's), with standard input
 * {@code /dev/null}, descriptors 0 to 2 only, no signal ignored, a cleared environment holding
 * {@code PATH}, {@code HOME}, {@code USER}, {@code LOGNAME}, the capsule's default variables and the
 * request's, and {@code HOME} as the default working directory. v0.1.5 keeps processes in the
 * daemon's process group and signals one pid; newer versions give each process a group of its own
 * and signal the group. The daemon itself is a small Perl program ({@code daemon.pl}) that forks
 * each process, reaps it, and passes on its real wait status, which the JDK cannot give.
 *
 * <p>The capsule's directory holds its {@code home} (HOME, where relative paths go) and its
 * {@code tmp}: the capsule's {@code TMPDIR}, as a template's environment may set it, so that what
 * a capsule keeps in its temporary directory stays in the test's own directory, not in this
 * machine's {@code /tmp}.
 */
final class CapsuleDaemon {

    /** A start the daemon refuses, with its message (an {@code invalid_argument} of envd). */
    static final class StartRefused extends Exception {
        private static final long serialVersionUID = 1L;

        StartRefused(String message) {
            super(message);
        }
    }

    private static final String DAEMON = resource("daemon.pl");
    private static final String PERL = Files.isExecutable(Path.of("/usr/bin/perl")) ? "/usr/bin/perl" : "perl";

    private final String capsuleId;
    private final ServerGeneration generation;
    private final Path home;
    private final Path tmp;
    private final Map<String, String> defaults;
    private final Map<Long, LocalProcess> table = new ConcurrentHashMap<>();
    /** Processes not reaped yet, by pid, and reaps reported before their start was: both under their own lock. */
    private final Map<Long, LocalProcess> unreaped = new HashMap<>();

    private final Map<Long, Integer> reapedEarly = new HashMap<>();
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    /** The daemon process (a small Perl program, {@code daemon.pl}), started with the first process. */
    private Process daemon;

    CapsuleDaemon(Path dir, String capsuleId, String template, ServerGeneration generation) {
        this.capsuleId = capsuleId;
        this.generation = generation;
        try {
            this.home = Files.createDirectories(dir.resolve("home"));
            this.tmp = Files.createDirectories(dir.resolve("tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String user = System.getProperty("user.name");
        String path = System.getenv("PATH");
        // envd's order (process_handler.rs spawn_process): its own PATH, the user's HOME, USER and
        // LOGNAME, the defaults set at init (WRENN_SANDBOX_ID, WRENN_TEMPLATE_ID, a template's env).
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", path == null ? "/usr/local/bin:/usr/bin:/bin" : path);
        env.put("HOME", home.toString());
        env.put("USER", user);
        env.put("LOGNAME", user);
        env.put("WRENN_SANDBOX_ID", capsuleId);
        env.put("WRENN_TEMPLATE_ID", template);
        env.put("TMPDIR", tmp.toString());
        this.defaults = Collections.unmodifiableMap(env);
    }

    /** The capsule's HOME: the default working directory, and where relative paths go. */
    Path home() {
        return home;
    }

    /** The capsule's TMPDIR. */
    Path tmp() {
        return tmp;
    }

    /**
     * Starts a process as envd does and lists it until it ends (see {@link #list()}).
     *
     * @param cwd the working directory asked for, or null for HOME
     * @param tag the tag to list it with, or null
     * @param first a subscriber that sees all of its output, or null
     * @throws StartRefused when the working directory does not exist
     * @throws IOException when the process could not be started
     */
    LocalProcess start(
            String cmd,
            List<String> args,
            Map<String, String> envs,
            String cwd,
            String tag,
            boolean foreground,
            LocalProcess.Subscriber first,
            int chunkBytes)
            throws StartRefused, IOException {
        Path dir = workingDirectory(cwd);
        Map<String, String> env = new LinkedHashMap<>(defaults);
        env.putAll(envs);
        List<String> fields = new ArrayList<>();
        fields.add(generation == ServerGeneration.CURRENT ? "1" : "0");
        fields.add(dir.toString());
        fields.add(Integer.toString(env.size()));
        env.forEach((k, v) -> fields.add(k + "=" + v));
        fields.add(cmd);
        fields.addAll(args);
        LocalProcess p;
        synchronized (this) {
            Process d = daemon();
            byte[] request = String.join("\0", fields).getBytes(StandardCharsets.UTF_8);
            OutputStream to = d.getOutputStream();
            to.write((request.length + "\n").getBytes(StandardCharsets.US_ASCII));
            to.write(request);
            to.flush();
            String[] started = answer().split(" ");
            String fds = "/proc/" + d.pid() + "/fd/";
            InputStream stdout = new FileInputStream(fds + started[2]);
            InputStream stderr = new FileInputStream(fds + started[3]);
            // Opened: the daemon may close its own read ends now.
            to.write('\n');
            to.flush();
            p = new LocalProcess(Long.parseLong(started[1]), stdout, stderr, tag, cmd, args, foreground, chunkBytes);
        }
        if (first != null) {
            p.subscribe(first);
        }
        table.put(p.pid(), p);
        // v0.1.5 forgets a process when it is reaped; newer envd only once its pipes have closed too.
        p.start(
                reaped -> {
                    if (generation == ServerGeneration.V0_1_5) {
                        table.remove(reaped.pid(), reaped);
                    }
                },
                ended -> table.remove(ended.pid(), ended));
        Integer early;
        synchronized (unreaped) {
            early = reapedEarly.remove(p.pid());
            if (early == null) {
                unreaped.put(p.pid(), p);
            }
        }
        if (early != null) {
            p.reaped(early);
        }
        return p;
    }

    private String answer() throws IOException {
        try {
            String answer = answers.take();
            if (!answer.startsWith("started ")) {
                throw new IOException("the capsule's daemon has ended");
            }
            return answer;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting a process", e);
        }
    }

    /** The daemon, started at the first process, with a thread that reads what it reports. */
    private Process daemon() throws IOException {
        if (daemon != null) {
            if (daemon.isAlive()) {
                return daemon;
            }
            throw new IOException("the capsule's daemon has ended");
        }
        ProcessBuilder builder = new ProcessBuilder(PERL, "-e", DAEMON).redirectError(Redirect.DISCARD);
        builder.environment().clear();
        builder.environment().putAll(defaults);
        Process d = builder.start();
        Thread reader = new Thread(() -> report(d), "wrenn-test-daemon-" + capsuleId);
        reader.setDaemon(true);
        reader.start();
        daemon = d;
        return d;
    }

    /** Passes on the daemon's answers and reaps; when it goes away, its processes are left without status. */
    private void report(Process d) {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(d.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("exit ")) {
                    String[] exit = line.split(" ");
                    reaped(Long.parseLong(exit[1]), Integer.parseInt(exit[2]));
                } else {
                    answers.add(line);
                }
            }
        } catch (IOException e) {
            // The daemon went away: handled below.
        }
        answers.add("gone");
        List<LocalProcess> left;
        synchronized (unreaped) {
            left = List.copyOf(unreaped.values());
            unreaped.clear();
        }
        left.forEach(p -> p.reaped(null));
    }

    private void reaped(long pid, int waitStatus) {
        LocalProcess p;
        synchronized (unreaped) {
            p = unreaped.remove(pid);
            if (p == null) {
                // Reaped before the daemon's answer to its start was read.
                reapedEarly.put(pid, waitStatus);
            }
        }
        if (p != null) {
            p.reaped(waitStatus);
        }
    }

    /** envd's {@code expand_and_resolve}: empty is HOME, {@code ~} is HOME, relative is under HOME. */
    private Path workingDirectory(String cwd) throws StartRefused {
        String asked = cwd == null ? "" : cwd;
        if (asked.startsWith("~")) {
            if (asked.length() > 1 && asked.charAt(1) != '/') {
                throw new StartRefused("cannot expand user-specific home dir");
            }
            asked = home + asked.substring(1);
        }
        Path dir = asked.isEmpty() ? home : Path.of(asked);
        if (!dir.isAbsolute()) {
            dir = home.resolve(dir);
        }
        if (!Files.exists(dir)) {
            throw new StartRefused("cwd '" + dir + "' does not exist");
        }
        return dir;
    }

    /** The processes envd lists: every process started, until it is reaped (v0.1.5) or ends. */
    List<LocalProcess> list() {
        return table.values().stream()
                .sorted(Comparator.comparingLong(LocalProcess::pid))
                .toList();
    }

    /** The process a selector names (a pid or a tag) while it is listed, else null. */
    LocalProcess find(String selector) {
        if (!selector.isEmpty() && selector.chars().allMatch(Character::isDigit)) {
            return table.get(Long.parseLong(selector));
        }
        return table.values().stream()
                .filter(p -> selector.equals(p.tag()))
                .findFirst()
                .orElse(null);
    }

    /**
     * Sends SIGTERM ({@code force} false) or SIGKILL as envd's {@code send_signal} does: v0.1.5 to
     * the pid ({@code kill(pid)}), newer versions to its process group ({@code kill(-pid)}).
     *
     * @return false when the kernel refused it (nothing left to signal), as envd then answers an
     *     internal error
     */
    boolean signal(LocalProcess p, boolean force) {
        String target = generation == ServerGeneration.CURRENT ? "-" + p.pid() : Long.toString(p.pid());
        try {
            Process kill = new ProcessBuilder(
                            "/bin/sh", "-c", "kill -s \"$1\" -- \"$2\"", "kill", force ? "KILL" : "TERM", target)
                    .redirectOutput(Redirect.DISCARD)
                    .redirectError(Redirect.DISCARD)
                    .start();
            return kill.waitFor() == 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Ends every process of the capsule, as destroying its VM does: all processes whose environment
     * still carries this capsule's {@code WRENN_SANDBOX_ID}, also those that left the daemon's
     * process groups or were re-parented.
     */
    void destroy() {
        byte[] mark = ("WRENN_SANDBOX_ID=" + capsuleId + "\0").getBytes(StandardCharsets.UTF_8);
        for (int round = 0; round < 100; round++) {
            List<ProcessHandle> left = ProcessHandle.allProcesses()
                    .filter(h -> h.pid() != ProcessHandle.current().pid() && carries(h.pid(), mark))
                    .toList();
            if (left.isEmpty()) {
                break;
            }
            left.forEach(ProcessHandle::destroyForcibly);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        synchronized (this) {
            if (daemon != null) {
                daemon.destroyForcibly();
            }
        }
    }

    private static boolean carries(long pid, byte[] mark) {
        byte[] environ;
        try {
            environ = Files.readAllBytes(Path.of("/proc/" + pid + "/environ"));
        } catch (IOException e) {
            return false;
        }
        for (int i = 0; i + mark.length <= environ.length; i++) {
            if ((i == 0 || environ[i - 1] == 0) && Arrays.equals(environ, i, i + mark.length, mark, 0, mark.length)) {
                return true;
            }
        }
        return false;
    }

    private static String resource(String name) {
        try (InputStream in = CapsuleDaemon.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
