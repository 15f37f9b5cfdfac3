package io.jenkins.plugins.wrenn.testserver;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the daemon in one test capsule (envd) does with processes, per {@link ServerGeneration}: see
 * {@code docs/test-server.md} for each behaviour and the source it follows. In short: a process is
 * {@code /bin/sh -c '... exec "$@"'} (so its pid is the command's), with standard input
 * {@code /dev/null}, descriptors 0 to 2 only, no signal ignored, a cleared environment holding
 * {@code PATH}, {@code HOME}, {@code USER}, {@code LOGNAME}, the capsule's default variables and the
 * request's, and {@code HOME} as the default working directory. v0.1.5 keeps processes in the
 * daemon's process group and signals one pid; newer versions give each process a group of its own
 * and signal the group.
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

    private static final String LAUNCHER = resource("launcher.pl");
    private static final String PERL = Files.isExecutable(Path.of("/usr/bin/perl")) ? "/usr/bin/perl" : "perl";

    private final String capsuleId;
    private final ServerGeneration generation;
    private final Path home;
    private final Path tmp;
    private final Map<String, String> defaults;
    private final Map<Long, LocalProcess> table = new ConcurrentHashMap<>();
    /** A process that only holds the daemon's own process group, as envd's, for v0.1.5's processes. */
    private Process group;

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
        this.defaults = Map.of(
                "PATH", path == null ? "/usr/local/bin:/usr/bin:/bin" : path,
                "HOME", home.toString(),
                "USER", user,
                "LOGNAME", user,
                "WRENN_SANDBOX_ID", capsuleId,
                "WRENN_TEMPLATE_ID", template,
                "TMPDIR", tmp.toString());
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
        List<String> command = new ArrayList<>(List.of(
                PERL,
                "-e",
                LAUNCHER,
                Long.toString(daemonGroup()),
                generation == ServerGeneration.CURRENT ? "1" : "0",
                cmd));
        command.addAll(args);
        // The launcher's own standard input is the server's acknowledgement; the process gets /dev/null.
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().clear();
        builder.environment().putAll(defaults);
        builder.environment().putAll(envs);
        LocalProcess p = LocalProcess.launch(builder, tag, cmd, args, foreground, chunkBytes);
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
        return p;
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

    /** The daemon's own process group: its pgid, started at the first process. */
    private synchronized long daemonGroup() throws IOException {
        if (group == null || !group.isAlive()) {
            ProcessBuilder builder = new ProcessBuilder(
                            PERL, "-e", "setpgrp(0, 0) or die; syswrite(STDOUT, qq{$$\\n}); sleep")
                    .redirectInput(Redirect.from(new File("/dev/null")))
                    .redirectError(Redirect.DISCARD);
            builder.environment().clear();
            builder.environment().putAll(defaults);
            group = builder.start();
            // Read only once it is a group leader, so that the launchers can join its group.
            InputStream out = group.getInputStream();
            while (out.read() != '\n') {
                if (!group.isAlive()) {
                    throw new IOException("the capsule's daemon group could not be made");
                }
            }
        }
        return group.pid();
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
            if (group != null) {
                group.destroyForcibly();
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
