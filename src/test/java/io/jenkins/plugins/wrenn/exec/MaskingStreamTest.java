package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** A build step's sensitive values never reach the log as they are, however the writes fall. */
class MaskingStreamTest {

    static String through(List<String> secrets, byte[] bytes, int... cuts) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        MaskingStream masked = new MaskingStream(log, secrets);
        int from = 0;
        for (int cut : cuts) {
            masked.write(bytes, from, cut - from);
            masked.flush();
            from = cut;
        }
        masked.write(bytes, from, bytes.length - from);
        masked.finish();
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    void masksASecretSplitAcrossWritesIncludingInsideAMultiByteCharacter() throws Exception {
        String secret = "pässwörd-€";
        byte[] text = ("a " + secret + " b\n").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i <= text.length; i++) {
            assertEquals("a **** b\n", through(List.of(secret), text, i), "cut at " + i);
        }
    }

    @Test
    void passesOtherBytesUnchangedAndReleasesAHeldBackStartAtTheEnd() throws Exception {
        byte[] text = {'x', (byte) 0xff, (byte) 0xc3, 'p', 'a'};
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        MaskingStream masked = new MaskingStream(log, Arrays.asList("pass", null, ""));
        masked.write(text);
        masked.flush();
        // "pa" could still begin the secret: flush does not let it out, finish does.
        assertEquals(3, log.size());
        masked.finish();
        assertEquals(Arrays.toString(text), Arrays.toString(log.toByteArray()));
    }

    /**
     * The freestyle step's header line quotes the program and its arguments as written, and its
     * output is masked: a password parameter in an argument never shows.
     */
    @Test
    @DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
    void theHeaderOfAProgramFormRunShowsNoSensitiveValue() throws Exception {
        String key = "wrn_masking_stream_key_2b8e";
        String token = "tok-4f9c-not-for-the-log";
        Map<String, String> build = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        build.put("TOKEN", token);
        try (WrennTestServer server = WrennTestServer.start(key);
                WrennClient client = WrennClient.builder(server.baseUrl(), key).build();
                DurableExecution engine = new DurableExecution(client, key, Duration.ofSeconds(1), null, c -> "")) {
            ExecutionSpec spec = new BuildStepCommand("echo", false, "--token\n$TOKEN", null, null, 0)
                    .spec(server.createCapsule(), build, text -> text.replace("$TOKEN", token));
            DurableExecutionTest.Log log = new DurableExecutionTest.Log();
            MaskingStream masked = new MaskingStream(log, List.of(token));

            ExecOutcome outcome = engine.start(spec, masked, null).outcome().get(60, TimeUnit.SECONDS);
            masked.finish();

            assertTrue(outcome.succeeded(), log.text());
            assertFalse(log.text().contains(token), log.text());
            assertTrue(log.text().startsWith("[wrenn] Running \"echo --token $TOKEN\""), log.text());
            assertTrue(log.text().contains("\n--token ****\n"), log.text());
        }
    }
}
