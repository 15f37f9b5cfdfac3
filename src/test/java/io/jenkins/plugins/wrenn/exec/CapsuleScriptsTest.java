package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jenkins.plugins.wrenn.testserver.Await;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The engine's shell scripts run as shell, without any server, under each shell a capsule's image
 * may have as {@code /bin/sh}: dash (Debian, Ubuntu), bash (Fedora, Arch) and BusyBox ash
 * (Alpine), the last with nothing but BusyBox's own tools on its {@code PATH}. A shell that is not
 * installed is skipped, saying how to install it.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the scripts are POSIX shell and read /proc")
@ParameterizedClass(name = "{0}")
@EnumSource(CapsuleScriptsTest.Shell.class)
class CapsuleScriptsTest {

    /** A shell to run the scripts under. */
    enum Shell {
        DASH("dash"),
        BASH("bash"),
        BUSYBOX("busybox");

        final String program;

        Shell(String program) {
            this.program = program;
        }

        Path path() {
            for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
                Path p = Path.of(dir, program);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
            return null;
        }
    }

    /** Runs a process and keeps its real wait status, as the capsule's daemon does. */
    private static final String HARNESS = "my $f = shift; my $pid = fork(); if (!$pid) { exec { $ARGV[0] } @ARGV;"
            + " die \"exec: $!\\n\"; } waitpid($pid, 0); open(my $o, '>', $f) or die; print $o $?; close($o);";

    private static final String PERL = Files.isExecutable(Path.of("/usr/bin/perl")) ? "/usr/bin/perl" : "perl";

    /** The tools BusyBox gives an Alpine capsule, which these scripts and the tests' commands use. */
    private static final List<String> APPLETS = List.of(
            "sh", "tee", "setsid", "sleep", "rm", "cat", "wc", "tail", "head", "kill", "grep", "ls", "mv", "true");

    @Parameter
    Shell shell;

    private Path dir;
    private Path tmp;
    private String path;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        Path program = shell.path();
        assumeTrue(
                program != null,
                shell.program + " is not installed, so the scripts are not tested under it (apt-get install "
                        + shell.program + ")");
        dir = Files.createTempDirectory("wrenn-scripts");
        tmp = Files.createDirectories(dir.resolve("tmp"));
        if (shell == Shell.BUSYBOX) {
            Path bin = Files.createDirectories(dir.resolve("bin"));
            for (String applet : APPLETS) {
                Files.createSymbolicLink(bin.resolve(applet), program);
            }
            path = bin.toString();
        } else {
            path = System.getenv("PATH");
        }
    }

    @AfterEach
    void tearDown() throws IOException {
        for (Process p : started) {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** A finished run of a script: its raw wait status and what it wrote. */
    record Ran(int waitStatus, String stdout, String stderr) {
        boolean exited(int code) {
            return (waitStatus & 0x7f) == 0 && (waitStatus >> 8) == code;
        }
    }

    /** A script started under the shell, with the capsule's temporary directory as TMPDIR. */
    final class Running {
        final Process process;
        final Path status;

        Running(String script, String name, List<String> args, File stdin) throws IOException {
            status = dir.resolve("wait-" + System.nanoTime());
            List<String> command = new ArrayList<>(List.of(PERL, "-e", HARNESS, status.toString()));
            if (shell == Shell.BUSYBOX) {
                command.addAll(List.of(shell.path().toString(), "sh"));
            } else {
                command.add(shell.path().toString());
            }
            command.addAll(List.of("-c", script, name));
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectInput(Redirect.from(stdin))
                    .redirectOutput(dir.resolve(status.getFileName() + ".out").toFile())
                    .redirectError(dir.resolve(status.getFileName() + ".err").toFile());
            builder.environment().put("PATH", path);
            builder.environment().put("TMPDIR", tmp.toString());
            process = builder.start();
            started.add(process);
        }

        /** The script's own pid (the harness's child). */
        long pid() throws Exception {
            Await.until(() -> process.children().findAny().isPresent(), "the script to start");
            return process.children().findFirst().orElseThrow().pid();
        }

        Ran await(Duration within) throws Exception {
            assertTrue(
                    process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS),
                    "the script did not end within " + within + " (stopped, or waiting on something)");
            return new Ran(
                    Integer.parseInt(Files.readString(status).strip()),
                    Files.readString(dir.resolve(status.getFileName() + ".out")),
                    Files.readString(dir.resolve(status.getFileName() + ".err")));
        }
    }

    private Running wrapper(String prefix, String line) throws IOException {
        return wrapper(prefix, line, new File("/dev/null"));
    }

    private Running wrapper(String prefix, String line, File stdin) throws IOException {
        return new Running(CapsuleScripts.WRAPPER, "wrenn-run", List.of(prefix, "0", "sh", "-c", line), stdin);
    }

    private Ran run(String script, String name, String... args) throws Exception {
        return new Running(script, name, List.of(args), new File("/dev/null")).await(Duration.ofSeconds(30));
    }

    /** A command run by itself, as the capsule's daemon would run it: how it really ended. */
    private Ran bare(String... command) throws Exception {
        Path status = dir.resolve("bare-" + System.nanoTime());
        List<String> line = new ArrayList<>(List.of(PERL, "-e", HARNESS, status.toString()));
        line.addAll(List.of(command));
        ProcessBuilder builder = new ProcessBuilder(line)
                .directory(dir.toFile())
                .redirectInput(Redirect.from(new File("/dev/null")))
                .redirectOutput(Redirect.DISCARD)
                .redirectError(Redirect.DISCARD);
        builder.environment().put("PATH", path);
        Process p = builder.start();
        started.add(p);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the bare command did not end");
        return new Ran(Integer.parseInt(Files.readString(status).strip()), "", "");
    }

    private Path control(String prefix, String suffix) {
        return tmp.resolve(prefix + suffix);
    }

    private static List<String> openDescriptors(Path proc) throws IOException {
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
            return fds.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    // ---------------------------------------------------------------- the wrapper

    @Test
    void theWrapperExitsWithTheStatusShReportsAndNeverStops() throws Exception {
        // 128 + n is what sh reports for a death by signal n; 147 to 150 are SIGSTOP, SIGTSTP,
        // SIGTTIN and SIGTTOU as such a code, which must not stop the wrapper itself.
        for (int code : new int[] {0, 1, 2, 126, 127, 128, 129, 130, 137, 143, 145, 147, 148, 149, 150, 192, 255}) {
            String prefix = "code-" + code;
            Ran ran = wrapper(prefix, "echo out-" + code + "; exit " + code).await(Duration.ofSeconds(10));
            assertTrue(ran.exited(code), "exit " + code + ": wait status " + ran.waitStatus());
            assertEquals("out-" + code + "\n", ran.stdout());
            assertEquals(code + "\n", Files.readString(control(prefix, ".status")));
        }
        // A command its own signal ends, as the shell that runs it bare reports that (BusyBox's ash
        // ignores SIGQUIT itself, so there it is not a death).
        for (String signal : new String[] {"TERM", "INT", "QUIT", "KILL", "HUP", "USR1"}) {
            String line = "kill -s " + signal + " $$";
            Ran bare = bare("sh", "-c", line);
            int expected = (bare.waitStatus() & 0x7f) == 0 ? bare.waitStatus() >> 8 : 128 + (bare.waitStatus() & 0x7f);
            Ran ran = wrapper("sig-" + signal, line).await(Duration.ofSeconds(10));
            assertTrue(ran.exited(expected), signal + ": expected " + expected + ", wait status " + ran.waitStatus());
            assertEquals(expected + "\n", Files.readString(control("sig-" + signal, ".status")), signal);
            assertEquals("", ran.stderr(), signal + ": no shell noise");
        }
    }

    @Test
    void theCommandHasOnlyDescriptorsZeroToTwoSoAFullyRedirectedDaemonDoesNotHoldTheWrapper() throws Exception {
        Running daemon = wrapper("daemon", "sleep 60 >/dev/null 2>&1 </dev/null & echo $! >daemon.pid; echo started");
        Path daemonPid = dir.resolve("daemon.pid");
        try {
            Ran ran = daemon.await(Duration.ofSeconds(20));
            assertTrue(ran.exited(0), "wait status " + ran.waitStatus());
            assertEquals("started\n", ran.stdout());
            // Ended while the daemon still runs: the wrapper did not wait for it.
            assertTrue(
                    ProcessHandle.of(Long.parseLong(Files.readString(daemonPid).strip()))
                            .map(ProcessHandle::isAlive)
                            .orElse(false),
                    "the daemon still runs after the wrapper ended");
        } finally {
            // Re-parented once the wrapper ended, so no longer among the processes tearDown ends.
            String pid = Files.exists(daemonPid) ? Files.readString(daemonPid).strip() : "";
            if (!pid.isEmpty()) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroy);
            }
        }

        // The command runs until the test ends it, so that a slow machine cannot see it go first.
        Running sleeper = wrapper("fds", "exec sleep 60");
        Path pidFile = control("fds", ".pid");
        Await.until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank(), "the command's pid");
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        Path proc = Path.of("/proc/" + pid);
        Await.until(() -> Files.readString(proc.resolve("comm")).strip().equals("sleep"), "the command to run");
        // Right after the exec the dynamic loader opens and closes the command's libraries (as
        // descriptor 3): only a descriptor that stays is one the wrapper passed on.
        Await.until(() -> openDescriptors(proc).equals(List.of("0", "1", "2")), "descriptors 0 to 2 only");
        assertEquals(Path.of("/dev/null"), Files.readSymbolicLink(proc.resolve("fd/0")));
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        sleeper.await(Duration.ofSeconds(10));
    }

    @Test
    void aStopReachesEveryProcessOfTheCommandAlsoOnesThatLeftItsGroup() throws Exception {
        Running run = wrapper("tree", "sleep 30 & setsid sleep 30 & echo ready; wait");
        long wrapperPid = run.pid();
        Path pidFile = control("tree", ".pid");
        Await.until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank(), "the command's pid");
        long command = Long.parseLong(Files.readString(pidFile).strip());
        for (int i = 0; i < 500 && marked("tree").size() != 3; i++) {
            Thread.sleep(20);
        }
        List<Long> marked = marked("tree");
        assertEquals(3, marked.size(), "the command and its two children carry the run's mark: " + marked);
        assertTrue(marked.contains(command), "the command is the one whose pid the wrapper recorded");
        assertFalse(marked.contains(wrapperPid), "the wrapper is not the command's");

        Ran stop = run(CapsuleScripts.STOP, "wrenn-stop", "TERM", "5", "tree");
        assertEquals("sent gone\n", stop.stdout(), stop.stderr());
        assertEquals("", stop.stderr());
        for (long pid : marked) {
            assertFalse(alive(pid), "process " + pid + " of the command lives on");
        }
        Ran ran = run.await(Duration.ofSeconds(10));
        assertTrue(ran.exited(143), "sh's code for SIGTERM, wait status " + ran.waitStatus());
        assertEquals("", ran.stderr(), "no shell noise");
    }

    @Test
    void aStopReachesABackgroundProcesssWholeGroup() throws Exception {
        Running gated = new Running(
                CapsuleScripts.GATE,
                "wrenn-gate",
                List.of("", "sh", "-c", "sleep 30 & sleep 30 & echo $$ >leader; wait"),
                new File("/dev/null"));
        Path leaderFile = dir.resolve("leader");
        Await.until(
                () -> Files.exists(leaderFile) && !Files.readString(leaderFile).isBlank(), "the process");
        long leader = Long.parseLong(Files.readString(leaderFile).strip());
        for (int i = 0; i < 500 && members(leader).size() != 3; i++) {
            Thread.sleep(20);
        }
        List<Long> members = members(leader);
        assertEquals(3, members.size(), "it leads a group of its own, with its two children: " + members);
        Ran stop = run(CapsuleScripts.STOP, "wrenn-stop", "TERM", "5", Long.toString(leader));
        assertEquals("sent gone\n", stop.stdout());
        for (long pid : members) {
            assertFalse(alive(pid), "process " + pid + " of the group lives on");
        }
        gated.await(Duration.ofSeconds(10));
    }

    @Test
    void aStopBeforeTheCommandStartedKeepsItFromStarting() throws Exception {
        Ran stop = run(CapsuleScripts.STOP, "wrenn-stop", "TERM", "5", "early");
        assertEquals("never\n", stop.stdout());
        Ran ran = wrapper("early", "echo started").await(Duration.ofSeconds(10));
        assertEquals("", ran.stdout(), "the command ran after its stop");
        assertTrue(ran.exited(143), "wait status " + ran.waitStatus());
    }

    @Test
    void theCommandHasTheSignalDispositionsItWasGiven() throws Exception {
        Ran ran = new Running(
                        CapsuleScripts.WRAPPER,
                        "wrenn-run",
                        List.of("dispositions", "0", "grep", "SigIgn", "/proc/self/status"),
                        new File("/dev/null"))
                .await(Duration.ofSeconds(10));
        // The same command started the same way without the wrapper: what this JVM passes on (a
        // Maven started in the background of a script ignores SIGINT, and so does all it starts).
        Ran bare = new Running(
                        "exec \"$@\"", "bare", List.of("grep", "SigIgn", "/proc/self/status"), new File("/dev/null"))
                .await(Duration.ofSeconds(10));
        // The wrapper runs the command as a background job, which a shell would start with SIGINT
        // and SIGQUIT ignored: it must add no ignored signal to those it was given.
        assertEquals(
                ignoredSignals(bare),
                ignoredSignals(ran),
                "the wrapper added ignored signals: " + ran.stdout() + " against " + bare.stdout());
    }

    private static long ignoredSignals(Ran ran) {
        return Long.parseLong(ran.stdout().replaceFirst("SigIgn:\\s*", "").strip(), 16);
    }

    @Test
    void aFullDiskStillGivesTheRealStatusLiveAndSaysSo() throws Exception {
        for (String suffix : List.of(".out", ".err", ".pid", ".status")) {
            Files.createSymbolicLink(control("full", suffix), Path.of("/dev/full"));
        }
        Ran ran = wrapper("full", "echo out; echo err >&2; exit 3").await(Duration.ofSeconds(10));
        assertTrue(ran.exited(3), "wait status " + ran.waitStatus());
        assertEquals("out\n", ran.stdout());
        assertTrue(ran.stderr().startsWith("err\n"), ran.stderr());
        assertTrue(ran.stderr().contains("disk is probably full"), ran.stderr());
        assertEquals(2, ran.stderr().lines().count(), "one line of the wrapper's own: " + ran.stderr());
    }

    @Test
    void noWaitSpinsWhateverTheStandardInputAndAStrayTerm() throws Exception {
        Ran quick = wrapper("quick", "echo hi; exit 0", new File("/dev/full")).await(Duration.ofSeconds(10));
        assertTrue(quick.exited(0));
        assertEquals("hi\n", quick.stdout());

        // A SIGTERM to the wrapper while the command's output is still held open elsewhere.
        // The holder keeps the output open until the test ends it, however slow the machine.
        Running held = wrapper("held", "sleep 60 & echo $! >holder; echo hi; exit 0", new File("/dev/full"));
        long wrapperPid = held.pid();
        Path holder = dir.resolve("holder");
        Await.until(() -> Files.exists(holder) && !Files.readString(holder).isBlank(), "the holder to start");
        ProcessHandle.of(wrapperPid).orElseThrow().destroy();
        Thread.sleep(1000);
        long ticks = cpuTicks(wrapperPid);
        assertTrue(held.process.isAlive(), "the wrapper waits while the holder keeps the output open");
        assertTrue(ticks < 20, "the wrapper used " + ticks + " ticks of CPU while it waited");
        ProcessHandle.of(Long.parseLong(Files.readString(holder).strip())).ifPresent(ProcessHandle::destroy);
        Ran ran = held.await(Duration.ofSeconds(10));
        assertTrue(ran.exited(0), "a SIGTERM to the wrapper alone is not the command's: " + ran.waitStatus());
    }

    static final String OLD_1 = ".wrenn-run-00000000000000a1";
    static final String OLD_2 = ".wrenn-run-00000000000000a2";

    @Test
    void oldRunsFilesAreRemovedFirstWithTheirNames() throws Exception {
        for (String suffix : List.of(".out", ".err", ".pid", ".rc", ".status", ".gate")) {
            Files.writeString(control(OLD_1, suffix), "x");
            Files.writeString(control(OLD_2, suffix), "x");
        }
        Files.writeString(control("victim", ".out"), "x");
        Ran ran = new Running(
                        CapsuleScripts.WRAPPER,
                        "wrenn-run",
                        // A name with white space and a pattern in it is one word, and no prefix.
                        List.of(
                                "new",
                                "4",
                                OLD_1,
                                "* victim",
                                OLD_2,
                                "*",
                                "sh",
                                "-c",
                                "echo \"$#\" \"$1\"",
                                "x",
                                "y z"),
                        new File("/dev/null"))
                .await(Duration.ofSeconds(10));
        assertTrue(ran.exited(0));
        assertEquals("1 y z\n", ran.stdout(), "the command gets its own arguments only");
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(
                    List.of("new.err", "new.out", "new.pid", "new.status", "victim.out"),
                    left.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    // ---------------------------------------------------------------- the follower and the others

    @Test
    void theFollowerPrintsWhatIsBeyondTheOffsetsUntilTheStatusExists() throws Exception {
        Files.writeString(control("f", ".out"), "seen\nnew out\n");
        Files.writeString(control("f", ".err"), "new err\n");
        // The wrapper it watches: any live process will do, this JVM.
        String wrapperPid = Long.toString(ProcessHandle.current().pid());
        Running follower = new Running(
                CapsuleScripts.FOLLOWER, "wrenn-follow", List.of("f", wrapperPid, "5", "0"), new File("/dev/null"));
        Ran early = run(CapsuleScripts.FINISH, "wrenn-finish", "nothing-here");
        assertEquals("", early.stdout(), "no status, nothing printed");
        Thread.sleep(500);
        assertTrue(follower.process.isAlive(), "it follows until the status exists");
        Files.writeString(control("f", ".status"), "147\n");
        Ran ran = follower.await(Duration.ofSeconds(10));
        assertTrue(ran.exited(0));
        assertEquals("new out\n", ran.stdout());
        assertEquals("new err\n", ran.stderr());
        Ran finish = run(CapsuleScripts.FINISH, "wrenn-finish", "f");
        assertEquals("147\n", finish.stdout());
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(0, left.count(), "the files are removed");
        }
    }

    @Test
    void theGateWaitsThenGivesTheCommandItsOwnGroupAndTheStepsTmpdir() throws Exception {
        Running gated = new Running(
                CapsuleScripts.GATE,
                "wrenn-gate",
                List.of(".gate", "sh", "-c", "read -r me _ _ _ group _ </proc/self/stat; echo \"$me $group $TMPDIR\""),
                new File("/dev/null"));
        long pid = gated.pid();
        Thread.sleep(300);
        assertTrue(gated.process.isAlive(), "it waits at the gate");
        Files.createFile(tmp.resolve(".gate"));
        Ran ran = gated.await(Duration.ofSeconds(10));
        assertEquals(pid + " " + pid + " " + tmp + "\n", ran.stdout(), "the same pid, leading its group");
        assertFalse(Files.exists(tmp.resolve(".gate")), "the gate is removed");
    }

    @Test
    void removeTakesBareNamesInTheTemporaryDirectory() throws Exception {
        Files.writeString(control(OLD_1, ".out"), "x");
        Files.writeString(control(OLD_1, ".gate"), "");
        Files.writeString(control(OLD_2, ".status"), "0");
        Files.writeString(control("kept", ".out"), "x");
        Files.writeString(control(".wrenn-run-kept", ".out"), "x");
        assertTrue(run(CapsuleScripts.REMOVE, "wrenn-remove", OLD_1, "* kept", "*", ".wrenn-run-kept", OLD_2)
                .exited(0));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(
                    List.of(".wrenn-run-kept.out", "kept.out"),
                    left.map(f -> f.getFileName().toString()).sorted().toList(),
                    "only the files of control prefixes are removed, each name as one word");
        }
    }

    @Test
    void aStopNeverSignalsAProcessThatIsNotTheRunsWhateverThePidFileSays() throws Exception {
        Running victim =
                new Running(CapsuleScripts.GATE, "wrenn-gate", List.of("", "sleep", "30"), new File("/dev/null"));
        long victimPid = victim.pid();
        // What a hostile command can do: write another process's pid (pid 1, another build's) there.
        Files.writeString(control("forged", ".pid"), victimPid + "\n");
        Ran stop = run(CapsuleScripts.STOP, "wrenn-stop", "KILL", "1", "forged");
        assertEquals("absent gone\n", stop.stdout(), stop.stderr());
        assertTrue(alive(victimPid), "a process that is not the run's got the signal");
        Files.writeString(control("forged", ".pid"), "1\n");
        assertEquals(
                "absent gone\n",
                run(CapsuleScripts.STOP, "wrenn-stop", "TERM", "1", "forged").stdout());
    }

    // ---------------------------------------------------------------- helpers

    /** The pids of the processes whose environment holds this run's mark. */
    private List<Long> marked(String prefix) {
        byte[] mark = ("WRENN_RUN=" + prefix + "\0").getBytes(StandardCharsets.UTF_8);
        return ProcessHandle.allProcesses()
                .filter(h -> {
                    try {
                        byte[] env = Files.readAllBytes(Path.of("/proc/" + h.pid() + "/environ"));
                        for (int i = 0; i + mark.length <= env.length; i++) {
                            if ((i == 0 || env[i - 1] == 0)
                                    && java.util.Arrays.equals(env, i, i + mark.length, mark, 0, mark.length)) {
                                return true;
                            }
                        }
                        return false;
                    } catch (IOException e) {
                        return false;
                    }
                })
                .map(ProcessHandle::pid)
                .toList();
    }

    /** The pids whose process group is this one. */
    private static List<Long> members(long group) {
        return ProcessHandle.allProcesses()
                .filter(h -> {
                    long[] s = stat(h.pid());
                    return s != null && s[4] == group;
                })
                .map(ProcessHandle::pid)
                .toList();
    }

    /** The numeric fields of /proc/pid/stat after the command name: [pid, 0, state, ppid, pgrp, ...]. */
    private static long[] stat(long pid) {
        try {
            String text = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            String[] rest = text.substring(text.lastIndexOf(')') + 2).strip().split(" ");
            long[] fields = new long[rest.length + 2];
            fields[0] = pid;
            for (int i = 1; i < rest.length; i++) {
                // Some fields (limits) are unsigned 64-bit numbers; none of those is read here.
                fields[i + 2] = Long.parseUnsignedLong(rest[i].replaceFirst("^-", ""));
            }
            return fields;
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    private static boolean alive(long pid) {
        long[] s = stat(pid);
        if (s == null) {
            return false;
        }
        try {
            String text = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private static long cpuTicks(long pid) {
        long[] s = stat(pid);
        // utime and stime: fields 14 and 15.
        return s == null ? 0 : s[13] + s[14];
    }
}
