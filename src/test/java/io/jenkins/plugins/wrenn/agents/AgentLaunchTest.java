package io.jenkins.plugins.wrenn.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLifecycle;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleRecords;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import io.jenkins.plugins.wrenn.testserver.Await;
import io.jenkins.plugins.wrenn.testserver.LocalProcess;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The agent launch sequence against the test server, whose capsules run real local processes: a
 * fake agent.jar (the real one is not on Maven Central) connects to a stand-in controller that
 * checks its secret as Jenkins' {@code WebSocketAgents} does. Every failure path must leave no
 * capsule behind.
 */
@ParameterizedClass(name = "{0} server")
@EnumSource(ServerGeneration.class)
class AgentLaunchTest {

    static final String KEY = "wrn_test_agents_0123456789";
    static WrennTestServer server;
    static WrennClient client;
    static byte[] fakeAgentJar;
    static String jvm;

    @Parameter
    ServerGeneration generation;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final Map<String, String> connected = new ConcurrentHashMap<>();
    private HttpServer controller;
    private String secret;
    private List<String> before;

    @BeforeAll
    static void buildFakeAgentJar() throws IOException {
        assumeTrue(!System.getProperty("os.name").toLowerCase().contains("win"), "needs a POSIX shell");
        jvm = ProcessHandle.current().info().command().orElseThrow();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FakeInboundAgent.class.getName());
        ByteArrayOutputStream jar = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(jar, manifest)) {
            String entry = FakeInboundAgent.class.getName().replace('.', '/') + ".class";
            out.putNextEntry(new JarEntry(entry));
            try (InputStream in = FakeInboundAgent.class.getResourceAsStream("/" + entry)) {
                in.transferTo(out);
            }
            out.closeEntry();
        }
        fakeAgentJar = jar.toByteArray();
    }

    @BeforeParameterizedClassInvocation
    static void start(ServerGeneration serverGeneration) throws Exception {
        server = WrennTestServer.start(KEY, serverGeneration);
        server.setTransitionDelay(Duration.ofMillis(200));
        client = WrennClient.builder(server.baseUrl(), KEY).build();
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    @BeforeEach
    void startController() throws IOException {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        secret = HexFormat.of().formatHex(b);
        controller = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        controller.createContext("/jenkins/login", x -> {
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        controller.createContext("/jenkins/wsagents/", x -> {
            String name = x.getRequestHeaders().getFirst("Node-Name");
            boolean ok = secret.equals(x.getRequestHeaders().getFirst("Secret-Key"));
            if (ok) {
                connected.put(name, "online");
            }
            x.sendResponseHeaders(ok ? 200 : 403, -1);
            x.close();
        });
        controller.start();
        before = server.capsulesLeft();
    }

    @AfterEach
    void nothingLeftBehind() throws Exception {
        controller.stop(0);
        Await.until(
                () -> before.containsAll(server.capsulesLeft()), "no capsule left behind: " + server.capsulesLeft());
    }

    private String jenkinsUrl() {
        return "http://127.0.0.1:" + controller.getAddress().getPort() + "/jenkins/";
    }

    private AgentSpec spec(String name, String url, Duration connectTimeout, String javaCommand) {
        return new AgentSpec(name, url, "jenkins-agent", connectTimeout, javaCommand, 17);
    }

    private CapsuleLease provision(AgentSpec spec, byte[] jar, String secretGiven, AtomicReference<CapsuleLease> known)
            throws Exception {
        CapsuleLifecycle lifecycle =
                new CapsuleLifecycle(client, "wrenn-key", Duration.ofMillis(50), Duration.ofMillis(20), 3);
        return new AgentProvisioning(client, lifecycle)
                .provision(
                        new CapsuleOptions("base", 0, 0, 0, 0, KeepPolicy.ON_FAILURE, null, false, false),
                        CapsuleRecords.NONE,
                        spec,
                        () -> new ByteArrayInputStream(jar),
                        secretGiven,
                        () -> connected.containsKey(spec.nodeName()),
                        log,
                        known::set);
    }

    private String log() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theAgentConnectsWithItsSecretInAPrivateFileAndNowhereElse() throws Exception {
        AtomicReference<CapsuleLease> known = new AtomicReference<>();
        AgentSpec spec = spec("wrenn-agent-1", jenkinsUrl(), Duration.ofSeconds(30), jvm);
        CapsuleLease lease = provision(spec, fakeAgentJar, secret, known);
        try {
            assertEquals("online", connected.get("wrenn-agent-1"));
            assertEquals(lease.capsuleId(), known.get().capsuleId(), "the capsule was made known before the wait");
            assertEquals("running", server.status(lease.capsuleId()));

            Path root = server.workDir(lease.capsuleId()).resolve("jenkins-agent");
            assertTrue(java.util.Arrays.equals(fakeAgentJar, Files.readAllBytes(root.resolve("agent.jar"))));
            Path secretFile = root.resolve(".agent-secret");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile)));
            assertEquals(secret, Files.readString(secretFile, StandardCharsets.US_ASCII));

            // Neither the API's process list nor this machine's shows the secret.
            List<LocalProcess> processes = server.processes(lease.capsuleId());
            assertEquals(1, processes.size(), "the agent runs: " + processes);
            LocalProcess agent = processes.get(0);
            assertEquals(AgentLaunch.TAG, agent.tag());
            assertFalse(
                    agent.args().stream().anyMatch(a -> a.contains(secret)),
                    agent.args().toString());
            assertTrue(
                    agent.args().contains("jenkins-agent/.agent-secret"),
                    agent.args().toString());
            Optional<String> leaking = ProcessHandle.allProcesses()
                    .map(p -> p.info().commandLine().orElse(""))
                    .filter(c -> c.contains(secret))
                    .findAny();
            assertTrue(leaking.isEmpty(), "a process line shows the secret: " + leaking);
            assertFalse(log().contains(secret), log());
            String text = log();
            int created = text.indexOf("Created capsule " + lease.capsuleId());
            int running = text.indexOf("Capsule " + lease.capsuleId() + " is running");
            int javaFound = text.indexOf("] Java ");
            int jar = text.indexOf("agent.jar (0.0 MB) at jenkins-agent/agent.jar");
            int secretWritten = text.indexOf("Wrote the agent's secret to jenkins-agent/.agent-secret");
            int started = text.indexOf(
                    "Started agent wrenn-agent-1 (pid " + agent.pid() + "); it connects to " + jenkinsUrl());
            int online = text.indexOf("Agent wrenn-agent-1 in capsule " + lease.capsuleId() + " is online (");
            assertTrue(
                    0 <= created
                            && created < running
                            && running < javaFound
                            && javaFound < jar
                            && jar < secretWritten
                            && secretWritten < started
                            && started < online,
                    text);
        } finally {
            client.capsules().destroy(lease.capsuleId());
        }
    }

    @Test
    void noJvmInTheImageFailsAndDestroysTheCapsule() {
        AgentLaunchFailure e = assertThrows(
                AgentLaunchFailure.class,
                () -> provision(
                        spec("wrenn-agent-2", jenkinsUrl(), Duration.ofSeconds(30), "no-such-java-here"),
                        fakeAgentJar,
                        secret,
                        new AtomicReference<>()));
        assertEquals(AgentLaunchFailure.Reason.NO_JVM, e.reason());
        assertTrue(e.getMessage().startsWith("No JVM in the image: capsule cl-"), e.getMessage());
        assertTrue(log().contains("Destroyed capsule"), log());
    }

    @Test
    void anOldJvmFailsNamingBothVersions() throws Exception {
        Path fakeJava = Files.createTempFile("old-java", ".sh");
        try {
            Files.writeString(fakeJava, "#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n");
            Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwx------"));
            AgentLaunchFailure e = assertThrows(
                    AgentLaunchFailure.class,
                    () -> provision(
                            spec("wrenn-agent-3", jenkinsUrl(), Duration.ofSeconds(30), fakeJava.toString()),
                            fakeAgentJar,
                            secret,
                            new AtomicReference<>()));
            assertEquals(AgentLaunchFailure.Reason.OLD_JVM, e.reason());
            assertTrue(e.getMessage().contains("has Java 11, and the agent needs Java 17 or newer"), e.getMessage());
        } finally {
            Files.delete(fakeJava);
        }
    }

    @Test
    void anAgentThatEndsEarlyFailsWithItsLastLines() {
        AgentLaunchFailure e = assertThrows(
                AgentLaunchFailure.class,
                () -> provision(
                        spec("wrenn-agent-4", jenkinsUrl(), Duration.ofSeconds(30), jvm),
                        "not a jar".getBytes(StandardCharsets.US_ASCII),
                        secret,
                        new AtomicReference<>()));
        assertEquals(AgentLaunchFailure.Reason.AGENT_EXITED, e.reason());
        assertTrue(e.getMessage().contains("ended in capsule cl-"), e.getMessage());
        assertTrue(e.getMessage().contains("jarfile"), "the JVM's own words are shown: " + e.getMessage());
        assertTrue(log().contains("Destroyed capsule"), log());
    }

    @Test
    void aJenkinsUrlTheCapsuleCannotReachFailsSayingSo() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closed + "/jenkins/";
        AgentLaunchFailure e = assertThrows(
                AgentLaunchFailure.class,
                () -> provision(
                        spec("wrenn-agent-5", url, Duration.ofSeconds(3), jvm),
                        fakeAgentJar,
                        secret,
                        new AtomicReference<>()));
        assertEquals(AgentLaunchFailure.Reason.URL_UNREACHABLE, e.reason());
        assertTrue(
                e.getMessage().startsWith("The Jenkins URL " + url + " cannot be reached from capsule cl-"),
                e.getMessage());
        assertTrue(e.getMessage().contains("login is not ready"), e.getMessage());
        assertTrue(log().contains("Destroyed capsule"), log());
    }

    @Test
    void aRefusedSecretFailsWithoutWaitingForTheTimeoutAndIsNeverShown() {
        String wrong = secret.substring(0, 60) + "0000";
        long started = System.nanoTime();
        AgentLaunchFailure e = assertThrows(
                AgentLaunchFailure.class,
                () -> provision(
                        spec("wrenn-agent-6", jenkinsUrl(), Duration.ofSeconds(60), jvm),
                        fakeAgentJar,
                        wrong,
                        new AtomicReference<>()));
        assertEquals(AgentLaunchFailure.Reason.KEY_REFUSED, e.reason());
        assertTrue(e.getMessage().contains("refused agent wrenn-agent-6"), e.getMessage());
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(30).toNanos(), "failed before the timeout");
        assertFalse(e.getMessage().contains(wrong));
        assertFalse(log().contains(wrong), log());
        assertTrue(log().contains("Destroyed capsule"), log());
    }

    @Test
    void aLinkPlantedWhereTheSecretGoesIsReplacedNotWrittenThrough() throws Exception {
        String capsule = server.createCapsule();
        try {
            Path root = server.workDir(capsule).resolve("jenkins-agent");
            Files.createDirectories(root);
            AgentSpec spec = spec("wrenn-agent-7", jenkinsUrl(), Duration.ofSeconds(30), jvm);
            // A link planted where the secret goes is removed, not written through.
            Path elsewhere = server.workDir(capsule).resolve("elsewhere");
            Files.writeString(elsewhere, "");
            Files.createSymbolicLink(root.resolve(".agent-secret"), elsewhere);
            AgentLaunch launch = new AgentLaunch(client, log, System.nanoTime());
            StartedAgent started = launch.start(capsule, spec, () -> new ByteArrayInputStream(fakeAgentJar), secret);
            assertNotNull(started);
            assertEquals("", Files.readString(elsewhere), "nothing was written through the link");
            assertFalse(Files.isSymbolicLink(root.resolve(".agent-secret")));
        } finally {
            client.capsules().destroy(capsule);
        }
    }
}
