package io.jenkins.plugins.wrenn.testserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.ExecRequest;
import io.jenkins.plugins.wrenn.api.ExecResult;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The entry point {@code mvn -Plocal-wrenn hpi:run} starts: a server the plugin's own client can
 * use with what it prints and writes, that cleans up after itself when stopped.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
class LocalWrennServerTest {

    @TempDir
    Path dir;

    @Test
    void servesTheKeyItWritesAndRemovesItsFileWhenClosed() throws Exception {
        Path info = dir.resolve("build/local-wrenn-server.properties");
        LocalWrennServer local = LocalWrennServer.start(info);
        try {
            Properties written = read(info);
            assertEquals(local.apiUrl().toString(), written.getProperty(LocalWrennServer.API_URL));
            assertEquals(local.apiKey(), written.getProperty(LocalWrennServer.API_KEY));
            assertEquals(local.capsuleId(), written.getProperty(LocalWrennServer.CAPSULE));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(info)));
            assertEquals("127.0.0.1", local.apiUrl().getHost());
            assertTrue(local.apiKey().matches("wrn_[0-9a-f]{40}"), local.apiKey());
            assertEquals(List.of(info.getFileName()), filesIn(info.getParent()), "no partial file left beside it");

            try (WrennClient client =
                    WrennClient.builder(local.apiUrl(), local.apiKey()).build()) {
                Capsule capsule = client.capsules().get(local.capsuleId());
                assertTrue(capsule.isRunning(), capsule.status());
                ExecResult hello =
                        client.commands().run(local.capsuleId(), ExecRequest.foreground("echo", List.of("hi"), 10));
                assertEquals("hi\n", hello.stdout());
            }
            try (WrennClient wrongKey =
                    WrennClient.builder(local.apiUrl(), "wrn_guessed").build()) {
                WrennApiException refused = assertThrows(
                        WrennApiException.class, () -> wrongKey.capsules().list());
                assertEquals(401, refused.httpStatus());
            }

            ByteArrayOutputStream shown = new ByteArrayOutputStream();
            local.describe(new PrintStream(shown, true, StandardCharsets.UTF_8));
            String text = shown.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("DEVELOPMENT AID"), text);
            assertTrue(text.contains("without any isolation"), text);
            assertTrue(text.contains("API URL: " + local.apiUrl()), text);
            assertTrue(text.contains("API key: " + local.apiKey()), text);
        } finally {
            local.close();
        }
        assertFalse(Files.exists(info), "the key does not outlive the server");
    }

    @Test
    @Timeout(120)
    void mainRunsUntilStoppedThenCleansUp() throws Exception {
        Path info = dir.resolve("local-wrenn-server.properties");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        LocalWrennServer.class.getName(),
                        "--info-file",
                        info.toString())
                .redirectErrorStream(true)
                .start();
        try {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            URI url = URI.create(valueAfter(out, "  API URL: "));
            String key = valueAfter(out, "  API key: ");
            String capsuleId = valueAfter(out, "  capsule: ").split(" ")[0];
            assertEquals(key, read(info).getProperty(LocalWrennServer.API_KEY));

            Path capsuleDir;
            long left;
            try (WrennClient client = WrennClient.builder(url, key).build()) {
                ExecResult pwd = client.commands().run(capsuleId, ExecRequest.foreground("pwd", List.of(), 10));
                assertEquals(0, pwd.exitCode());
                capsuleDir = Path.of(pwd.stdout().strip());
                assertTrue(Files.isDirectory(capsuleDir), capsuleDir.toString());
                left = client.commands()
                        .startBackground(capsuleId, ExecRequest.background("sleep", List.of("600"), "left", null, null))
                        .pid();
            }
            assertTrue(process.isAlive(), "it keeps running after a client is done");

            process.destroy();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "SIGTERM stops it");
            assertFalse(Files.exists(info), "the info file is removed");
            assertFalse(Files.exists(capsuleDir), "the capsule's directory is removed");
            // Killed before the server exits; the kernel reaps it once its parent, the capsule's
            // daemon, is gone too, which may take a moment longer.
            Await.until(
                    () -> !ProcessHandle.of(left).map(ProcessHandle::isAlive).orElse(false),
                    "its processes have ended");
        } finally {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Reads lines until one starts with the label; what follows it. */
    private static String valueAfter(BufferedReader out, String label) throws Exception {
        StringBuilder seen = new StringBuilder();
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith(label)) {
                return line.substring(label.length());
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("no line starting with '" + label + "' in:\n" + seen);
    }

    private static Properties read(Path file) throws Exception {
        assertNotNull(file);
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        return p;
    }

    private static List<Path> filesIn(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.map(Path::getFileName).toList();
        }
    }
}
