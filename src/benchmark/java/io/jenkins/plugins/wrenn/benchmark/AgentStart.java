package io.jenkins.plugins.wrenn.benchmark;

import com.sun.net.httpserver.HttpServer;
import io.jenkins.plugins.wrenn.agents.AgentProvisioning;
import io.jenkins.plugins.wrenn.agents.AgentSpec;
import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.CapsuleSpec;
import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLease;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleLifecycle;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleOptions;
import io.jenkins.plugins.wrenn.lifecycle.CapsuleRecords;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import io.jenkins.plugins.wrenn.testserver.ServerGeneration;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Time from "an agent is needed" to "the agent is connected", outside Jenkins: the plugin's launch
 * ({@link AgentProvisioning}: create, wait, JVM check, agent.jar put in, private secret file,
 * background start, watch until online) against its floor, the same capsule, jar and agent JVM
 * done by hand over the same routes (create, GET every 100 ms until running, one file write, one
 * background exec with the secret as a plain argument, then wait for the connection). The agent is
 * the tests' stand-in for agent.jar (the real one is not on Maven Central), connecting to a
 * stand-in controller on loopback; a capsule of the current generation takes 1 s to start.
 * Jenkins' own part (the queue, the node, remoting's handshake) cannot run here and is not in
 * either side.
 */
final class AgentStart {

    private static final String KEY = "wrn_benchmark_agent_start";
    private static final String SECRET = "5f".repeat(32);

    /** Both sides, one sample a round. */
    record Result(Samples launch, Samples floor) {}

    private AgentStart() {}

    static Result measure(int rounds) throws Exception {
        Samples launch = new Samples();
        Samples floor = new Samples();
        Set<String> connected = ConcurrentHashMap.newKeySet();
        HttpServer controller = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        controller.createContext("/jenkins/login", x -> {
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        controller.createContext("/jenkins/wsagents/", x -> {
            boolean ok = SECRET.equals(x.getRequestHeaders().getFirst("Secret-Key"));
            if (ok) {
                connected.add(x.getRequestHeaders().getFirst("Node-Name"));
            }
            x.sendResponseHeaders(ok ? 200 : 403, -1);
            x.close();
        });
        controller.start();
        String url = "http://127.0.0.1:" + controller.getAddress().getPort() + "/jenkins/";
        String java = ProcessHandle.current().info().command().orElse("java");
        byte[] jar = fakeAgentJar();
        PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
        try (WrennTestServer server = WrennTestServer.start(KEY, ServerGeneration.CURRENT);
                WrennClient client = WrennClient.builder(server.baseUrl(), KEY).build()) {
            CapsuleLifecycle lifecycle = CapsuleLifecycle.withDefaults(client, null);
            for (int round = 0; round <= rounds; round++) {
                String a = "agent-a" + round;
                String b = "agent-b" + round;
                double l;
                double f;
                if (round % 2 == 0) {
                    l = viaLaunch(client, lifecycle, jar, url, java, a, connected, discard);
                    f = byHand(client, jar, url, java, b, connected);
                } else {
                    f = byHand(client, jar, url, java, b, connected);
                    l = viaLaunch(client, lifecycle, jar, url, java, a, connected, discard);
                }
                if (round > 0) {
                    launch.add(l);
                    floor.add(f);
                }
            }
        } finally {
            controller.stop(0);
        }
        return new Result(launch, floor);
    }

    private static double viaLaunch(
            WrennClient client,
            CapsuleLifecycle lifecycle,
            byte[] jar,
            String url,
            String java,
            String name,
            Set<String> connected,
            PrintStream log)
            throws Exception {
        long t0 = System.nanoTime();
        CapsuleLease lease = new AgentProvisioning(client, lifecycle)
                .provision(
                        new CapsuleOptions("base", 0, 0, 0, 60, KeepPolicy.NEVER, null, false, false),
                        CapsuleRecords.NONE,
                        new AgentSpec(name, url, "jenkins-agent", Duration.ofSeconds(60), java, 17),
                        () -> new ByteArrayInputStream(jar),
                        SECRET,
                        () -> connected.contains(name),
                        log,
                        known -> {});
        double ms = (System.nanoTime() - t0) / 1e6;
        client.capsules().destroy(lease.capsuleId());
        return ms;
    }

    private static double byHand(
            WrennClient client, byte[] jar, String url, String java, String name, Set<String> connected)
            throws Exception {
        long t0 = System.nanoTime();
        Capsule c = client.capsules().create(new CapsuleSpec("base", 0, 0, 0, Map.of()));
        while (!c.isRunning()) {
            Thread.sleep(CapsuleLifecycle.DEFAULT_POLL.toMillis());
            c = client.capsules().get(c.id());
        }
        client.files().write(c.id(), "jenkins-agent/agent.jar", new ByteArrayInputStream(jar), Duration.ofMinutes(1));
        client.commands()
                .startBackground(
                        c.id(),
                        ExecRequest.background(
                                java,
                                List.of(
                                        "-jar",
                                        "jenkins-agent/agent.jar",
                                        "-url",
                                        url,
                                        "-webSocket",
                                        "-name",
                                        name,
                                        "-secret",
                                        SECRET,
                                        "-workDir",
                                        "jenkins-agent"),
                                null,
                                null,
                                null));
        while (!connected.contains(name)) {
            Thread.sleep(10);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        client.capsules().destroy(c.id());
        return ms;
    }

    /** The tests' stand-in agent as an executable jar. */
    private static byte[] fakeAgentJar() throws IOException {
        String main = "io.jenkins.plugins.wrenn.agents.FakeInboundAgent";
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, main);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
            String entry = main.replace('.', '/') + ".class";
            out.putNextEntry(new JarEntry(entry));
            try (InputStream in = AgentStart.class.getResourceAsStream("/" + entry)) {
                if (in == null) {
                    throw new IOException("the tests' FakeInboundAgent is not on the class path");
                }
                in.transferTo(out);
            }
            out.closeEntry();
        }
        return bytes.toByteArray();
    }
}
