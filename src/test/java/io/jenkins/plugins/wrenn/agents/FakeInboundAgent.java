package io.jenkins.plugins.wrenn.agents;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Stands in for agent.jar where the real one cannot be had (it is not on Maven Central): takes
 * its arguments ({@code -url}, {@code -webSocket}, {@code -name}, {@code -secret @file},
 * {@code -workDir}), reads the secret from the file as args4j's {@code @file} does, and then
 * behaves as remoting's {@code Engine.runWebSocket} does: pings {@code <url>login} until it
 * answers 200, saying {@code <url>login is not ready} each time it does not, then opens
 * {@code <url>wsagents/} with the {@code Node-Name} and {@code Secret-Key} headers, saying
 * {@code Failed to connect: Handshake error.} when refused and trying again; once accepted it says
 * {@code Connected} and stays up until it is killed. Run from a jar the test builds.
 */
public final class FakeInboundAgent {

    private FakeInboundAgent() {}

    public static void main(String[] args) throws Exception {
        String url = null;
        String name = null;
        String secret = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-url" -> url = args[++i];
                case "-name" -> name = args[++i];
                case "-secret" -> secret = readSecret(args[++i]);
                case "-workDir" -> Files.createDirectories(Path.of(args[++i], "remoting"));
                default -> {
                    // -webSocket and anything else: nothing to do here.
                }
            }
        }
        if (url == null || name == null || secret == null) {
            System.err.println("SEVERE: -url, -name and -secret are required");
            System.exit(2);
        }
        System.out.println("INFO: Using " + url + " as the Jenkins URL, agent " + name);
        while (!ping(url)) {
            Thread.sleep(200);
        }
        while (!connect(url, name, secret)) {
            System.out.println("INFO: Failed to connect: Handshake error.");
            Thread.sleep(300);
        }
        System.out.println("INFO: Connected");
        Thread.sleep(Long.MAX_VALUE);
    }

    private static String readSecret(String arg) throws IOException {
        if (!arg.startsWith("@")) {
            return arg;
        }
        List<String> lines = Files.readAllLines(Path.of(arg.substring(1)), StandardCharsets.US_ASCII);
        return lines.isEmpty() ? "" : lines.get(0).strip();
    }

    private static boolean ping(String url) {
        try {
            HttpURLConnection c =
                    (HttpURLConnection) URI.create(url + "login").toURL().openConnection();
            c.setConnectTimeout(1000);
            int status = c.getResponseCode();
            c.disconnect();
            if (status == 200) {
                return true;
            }
            System.out.println("INFO: " + url + "login is not ready: " + status);
        } catch (IOException e) {
            System.out.println("INFO: " + url + "login is not ready");
            System.out.println("java.net.ConnectException: " + e.getMessage());
        }
        return false;
    }

    private static boolean connect(String url, String name, String secret) throws IOException {
        HttpURLConnection c =
                (HttpURLConnection) URI.create(url + "wsagents/").toURL().openConnection();
        c.setRequestProperty("Node-Name", name);
        c.setRequestProperty("Secret-Key", secret);
        int status = c.getResponseCode();
        c.disconnect();
        return status == 200;
    }
}
