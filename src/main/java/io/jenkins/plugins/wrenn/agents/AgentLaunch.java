package io.jenkins.plugins.wrenn.agents;

import io.jenkins.plugins.wrenn.api.BackgroundProcess;
import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.ExecResult;
import io.jenkins.plugins.wrenn.api.FileEntry;
import io.jenkins.plugins.wrenn.api.ProcessInfo;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts an inbound agent in a running capsule and waits until it is connected:
 *
 * <ol>
 *   <li>checks that the capsule's user has a {@code java} recent enough for the agent;
 *   <li>puts the controller's agent.jar into the agent's root directory through the files API, so
 *       the image needs a JVM but no agent.jar of its own;
 *   <li>writes the agent's secret to a file that only the capsule's user can read: the file is
 *       made empty with mode 0600 first, and the files API's write keeps the mode of a file it
 *       truncates (envd {@code files.rs}: {@code O_CREAT|O_TRUNC}, mode 0666 only for a new file);
 *       the mode is read back before the agent starts;
 *   <li>starts {@code java -jar agent.jar -url ... -webSocket -name ... -secret @file -workDir ...}
 *       in the background. The secret is never on a command line (the capsule's process list
 *       and the API's show only the file's path), in a log, or in a message;
 *   <li>waits until Jenkins says the agent is online, watching the agent process: one that ends,
 *       or that says it cannot reach Jenkins or was refused, fails the launch with its last lines.
 * </ol>
 *
 * Every failure is an {@link AgentLaunchFailure} whose message says why; the caller gives the
 * capsule back.
 */
public final class AgentLaunch {

    /** The process tag of the agent in the capsule. */
    public static final String TAG = "jenkins-agent";

    /** How the JVM is found and asked for its version: {@code command -v} works in every POSIX shell. */
    static final String JAVA_CHECK = "command -v \"$1\" >/dev/null 2>&1 || exit 127; exec \"$1\" -version 2>&1";

    /**
     * Makes the secret's file empty and private. Its path is an argument, never part of the script;
     * a file or link already there is removed first, so the new file is this user's, with mode 0600.
     */
    static final String PRIVATE_FILE = "umask 077 && rm -f -- \"$1\" && : > \"$1\"";

    /**
     * Starts the agent, every value an argument of the script, its output to its log file and
     * nothing on its standard input (the exec API would otherwise keep a stream open for it).
     */
    static final String START_AGENT = "exec \"$7\" -jar \"$1\" -url \"$2\" -webSocket -name \"$3\" -secret \"@$4\""
            + " -workDir \"$5\" >\"$6\" 2>&1 </dev/null";

    private static final Pattern JAVA_VERSION = Pattern.compile("version \"(\\d+)(?:\\.(\\d+))?[^\"]*\"");

    /** The agent's own words when its ping of Jenkins fails (remoting {@code Engine.pingSuccessful}). */
    private static final String NOT_READY = "is not ready";

    /** The agent's words when Jenkins refuses its WebSocket (remoting {@code Engine.runWebSocket}). */
    private static final Pattern REFUSED = Pattern.compile("Handshake error|\\b40[13]\\b|Forbidden|rejected");

    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration JAR_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration WATCH_EVERY = Duration.ofSeconds(1);
    private static final Duration ONLINE_POLL = Duration.ofMillis(50);
    private static final int TAIL_LINES = 20;
    private static final int TAIL_BYTES = 16 * 1024;

    private final WrennClient client;
    private final PrintStream log;
    private final long startedNanos;

    /**
     * @param log where progress goes, one {@code [wrenn]} line per step with the time since
     *     {@code startedNanos}
     * @param startedNanos {@link System#nanoTime()} when the agent was asked for
     */
    public AgentLaunch(WrennClient client, PrintStream log, long startedNanos) {
        this.client = client;
        this.log = log;
        this.startedNanos = startedNanos;
    }

    /**
     * Prepares the running capsule and starts the agent in it.
     *
     * @param secret the agent's secret; it goes only into the private file
     */
    public StartedAgent start(String capsuleId, AgentSpec spec, AgentJar jar, String secret)
            throws AgentLaunchFailure, InterruptedException {
        checkJava(capsuleId, spec);
        makeRoot(capsuleId, spec);
        putJar(capsuleId, spec, jar);
        writeSecret(capsuleId, spec, secret);
        BackgroundProcess started;
        try {
            started = client.commands()
                    .startBackground(
                            capsuleId,
                            ExecRequest.background(
                                    "/bin/sh",
                                    List.of(
                                            "-c",
                                            START_AGENT,
                                            "jenkins-agent",
                                            spec.jarPath(),
                                            spec.jenkinsUrl(),
                                            spec.nodeName(),
                                            spec.secretPath(),
                                            spec.remoteRoot(),
                                            spec.logPath(),
                                            spec.javaCommand()),
                                    TAG,
                                    Map.of(),
                                    null));
        } catch (WrennApiException e) {
            throw api(Messages.Step_Start(), e);
        }
        note(Messages.Note_Started(spec.nodeName(), Long.toString(started.pid()), spec.jenkinsUrl(), elapsed()));
        return new StartedAgent(capsuleId, started.pid(), started.tag());
    }

    /**
     * Waits until {@code online} says the agent is connected. Every second the agent process is
     * looked for and its log read: a process that ended, or a log that says Jenkins cannot be
     * reached or refused the agent, fails at once with the log's last lines.
     *
     * @param secret masked in any line of the agent's log that is shown
     */
    public void awaitOnline(StartedAgent agent, AgentSpec spec, String secret, BooleanSupplier online)
            throws AgentLaunchFailure, InterruptedException {
        long deadline = System.nanoTime() + spec.connectTimeout().toNanos();
        long nextWatch = System.nanoTime() + WATCH_EVERY.toNanos();
        while (!online.getAsBoolean()) {
            long now = System.nanoTime();
            if (now - nextWatch >= 0) {
                watch(agent, spec, secret);
                nextWatch = now + WATCH_EVERY.toNanos();
            }
            if (now - deadline >= 0) {
                String tail = tail(agent.capsuleId(), spec, secret);
                if (tail.contains(NOT_READY)) {
                    throw new AgentLaunchFailure(
                            AgentLaunchFailure.Reason.URL_UNREACHABLE,
                            Messages.Failure_Unreachable(
                                    spec.jenkinsUrl(), agent.capsuleId(), seconds(spec.connectTimeout()), quoted(tail)),
                            null);
                }
                throw new AgentLaunchFailure(
                        AgentLaunchFailure.Reason.NOT_CONNECTED,
                        Messages.Failure_NotConnected(
                                spec.nodeName(), seconds(spec.connectTimeout()), spec.jenkinsUrl(), quoted(tail)),
                        null);
            }
            Thread.sleep(ONLINE_POLL.toMillis());
        }
        note(Messages.Note_Online(spec.nodeName(), agent.capsuleId(), elapsed()));
    }

    /** One look at the agent: gone, or refused, fails the launch. */
    private void watch(StartedAgent agent, AgentSpec spec, String secret)
            throws AgentLaunchFailure, InterruptedException {
        boolean running;
        try {
            running = client.processes().list(agent.capsuleId()).stream()
                    .mapToLong(ProcessInfo::pid)
                    .anyMatch(pid -> pid == agent.pid());
        } catch (WrennApiException e) {
            throw api(Messages.Step_Watch(), e);
        }
        String tail = tail(agent.capsuleId(), spec, secret);
        if (REFUSED.matcher(tail).find()) {
            throw new AgentLaunchFailure(
                    AgentLaunchFailure.Reason.KEY_REFUSED,
                    Messages.Failure_Refused(spec.nodeName(), spec.jenkinsUrl(), quoted(tail)),
                    null);
        }
        if (!running) {
            throw new AgentLaunchFailure(
                    AgentLaunchFailure.Reason.AGENT_EXITED,
                    Messages.Failure_Exited(spec.nodeName(), agent.capsuleId(), quoted(tail)),
                    null);
        }
    }

    private void checkJava(String capsuleId, AgentSpec spec) throws AgentLaunchFailure, InterruptedException {
        ExecResult result;
        try {
            result = client.commands()
                    .run(
                            capsuleId,
                            ExecRequest.foreground(
                                    "/bin/sh", List.of("-c", JAVA_CHECK, "jenkins-agent", spec.javaCommand()), (int)
                                            EXEC_TIMEOUT.toSeconds()));
        } catch (WrennApiException e) {
            throw api(Messages.Step_Java(), e);
        }
        String said = (result.stdout() + result.stderr()).strip();
        if (result.exitCode() == 127 || (result.exitCode() != 0 && said.isEmpty())) {
            throw new AgentLaunchFailure(
                    AgentLaunchFailure.Reason.NO_JVM,
                    Messages.Failure_NoJvm(capsuleId, spec.javaCommand(), Integer.toString(spec.minimumJava())),
                    null);
        }
        Matcher m = JAVA_VERSION.matcher(said);
        if (result.exitCode() != 0 || !m.find()) {
            throw new AgentLaunchFailure(
                    AgentLaunchFailure.Reason.NO_JVM,
                    Messages.Failure_JvmBroken(capsuleId, Integer.toString(result.exitCode()), quoted(lastLines(said))),
                    null);
        }
        int feature = Integer.parseInt(m.group(1));
        if (feature == 1 && m.group(2) != null) {
            // Java 8 and older say "1.8.0_392".
            feature = Integer.parseInt(m.group(2));
        }
        if (feature < spec.minimumJava()) {
            throw new AgentLaunchFailure(
                    AgentLaunchFailure.Reason.OLD_JVM,
                    Messages.Failure_OldJvm(capsuleId, Integer.toString(feature), Integer.toString(spec.minimumJava())),
                    null);
        }
        note(Messages.Note_Java(Integer.toString(feature), capsuleId, elapsed()));
    }

    private void makeRoot(String capsuleId, AgentSpec spec) throws AgentLaunchFailure, InterruptedException {
        try {
            client.files().mkdir(capsuleId, spec.remoteRoot());
        } catch (WrennApiException e) {
            if (e.kind() != WrennApiException.Kind.CONFLICT) {
                throw api(Messages.Step_Root(spec.remoteRoot()), e);
            }
        }
    }

    private void putJar(String capsuleId, AgentSpec spec, AgentJar jar)
            throws AgentLaunchFailure, InterruptedException {
        long size;
        try (InputStream in = jar.open();
                CountingInput counted = new CountingInput(in)) {
            client.files().write(capsuleId, spec.jarPath(), counted, JAR_TIMEOUT);
            size = counted.count;
        } catch (WrennApiException e) {
            throw api(Messages.Step_Jar(spec.jarPath()), e);
        } catch (IOException e) {
            throw new AgentLaunchFailure(
                    AgentLaunchFailure.Reason.API, Messages.Failure_NoJar(String.valueOf(e.getMessage())), e);
        }
        note(Messages.Note_Jar(String.format(Locale.ROOT, "%.1f", size / 1e6), spec.jarPath(), elapsed()));
    }

    private void writeSecret(String capsuleId, AgentSpec spec, String secret)
            throws AgentLaunchFailure, InterruptedException {
        String path = spec.secretPath();
        try {
            ExecResult made = client.commands()
                    .run(
                            capsuleId,
                            ExecRequest.foreground("/bin/sh", List.of("-c", PRIVATE_FILE, "jenkins-agent", path), (int)
                                    EXEC_TIMEOUT.toSeconds()));
            if (made.exitCode() != 0) {
                throw new AgentLaunchFailure(
                        AgentLaunchFailure.Reason.SECRET_NOT_PRIVATE,
                        Messages.Failure_SecretFile(path, quoted(lastLines(made.stdout() + made.stderr()))),
                        null);
            }
            client.files()
                    .write(
                            capsuleId,
                            path,
                            new ByteArrayInputStream(secret.getBytes(StandardCharsets.US_ASCII)),
                            EXEC_TIMEOUT);
            FileEntry entry = client.files().list(capsuleId, spec.remoteRoot(), 1).stream()
                    .filter(f -> f.name().equals(".agent-secret"))
                    .findFirst()
                    .orElse(null);
            if (entry == null || entry.symlinkTarget() != null || (entry.mode() & 0777) != 0600) {
                throw new AgentLaunchFailure(
                        AgentLaunchFailure.Reason.SECRET_NOT_PRIVATE,
                        Messages.Failure_SecretMode(
                                path, entry == null ? Messages.Note_NoFile() : String.valueOf(entry.permissions())),
                        null);
            }
        } catch (WrennApiException e) {
            throw api(Messages.Step_Secret(path), e);
        }
        note(Messages.Note_Secret(path, elapsed()));
    }

    /** The last lines of the agent's log, the secret masked; empty when it cannot be read. */
    private String tail(String capsuleId, AgentSpec spec, String secret) throws InterruptedException {
        LastBytes last = new LastBytes(TAIL_BYTES);
        try {
            client.files().read(capsuleId, spec.logPath(), last, EXEC_TIMEOUT);
        } catch (IOException e) {
            return "";
        }
        String text = last.text();
        if (secret != null && !secret.isEmpty()) {
            text = text.replace(secret, "****");
        }
        return lastLines(text);
    }

    private static String lastLines(String text) {
        Deque<String> lines = new ArrayDeque<>();
        for (String line : text.split("\\R")) {
            if (!line.isBlank()) {
                lines.addLast(line.strip());
                if (lines.size() > TAIL_LINES) {
                    lines.removeFirst();
                }
            }
        }
        return String.join("\n", lines);
    }

    private static String quoted(String tail) {
        return tail.isEmpty() ? Messages.Note_NoOutput() : Messages.Note_Output(tail);
    }

    private AgentLaunchFailure api(String step, WrennApiException e) {
        return new AgentLaunchFailure(
                AgentLaunchFailure.Reason.API, Messages.Failure_Api(step, String.valueOf(e.getMessage())), e);
    }

    private String elapsed() {
        return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startedNanos) / 1e9);
    }

    private static String seconds(Duration d) {
        return Long.toString(d.toSeconds());
    }

    private void note(String text) {
        log.println(Messages.Note_Prefix(text));
    }

    /** Counts what is read, for the log line. */
    private static final class CountingInput extends java.io.FilterInputStream {
        long count;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }

    /** Keeps the last bytes written, so that a long log costs no more memory than its tail. */
    private static final class LastBytes extends OutputStream {
        private final byte[] ring;
        private long written;

        LastBytes(int size) {
            this.ring = new byte[size];
        }

        @Override
        public void write(int b) {
            ring[(int) (written++ % ring.length)] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = 0; i < len; i++) {
                write(b[off + i]);
            }
        }

        String text() {
            int n = (int) Math.min(written, ring.length);
            byte[] out = new byte[n];
            long from = written - n;
            for (int i = 0; i < n; i++) {
                out[i] = ring[(int) ((from + i) % ring.length)];
            }
            return new String(out, StandardCharsets.UTF_8);
        }
    }
}
