package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bounded-memory reader of exec answers, checked against JSON that Jackson writes. */
class ExecResponseReaderTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static String[] read(String json) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ExecResponseReader r =
                new ExecResponseReader(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))).read()) {
            r.writeTo(out, err);
            return new String[] {
                out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8),
                Integer.toString(r.exitCode()),
                Long.toString(r.durationMs())
            };
        }
    }

    @Test
    void everyEscapeAndAnyFieldOrderComesBackAsJacksonWroteIt() throws Exception {
        String tricky =
                "quote \" backslash \\ slash / tab \t nl \n cr \r ctl \u0001 bmp \u00e9\u4e2d astral \ud83d\ude00";
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("sandbox_id", "cl-x");
        answer.put("extra", Map.of("nested", new Object[] {1, "}\"]", Map.of()}));
        answer.put("encoding", "utf-8");
        answer.put("stderr", "warn");
        answer.put("exit_code", 7);
        answer.put("stdout", tricky);
        answer.put("duration_ms", 1234);
        answer.put("flag", true);
        answer.put("nothing", null);
        String[] r = read(JSON.writeValueAsString(answer));
        assertEquals(tricky, r[0]);
        assertEquals("warn", r[1]);
        assertEquals("7", r[2]);
        assertEquals("1234", r[3]);
    }

    @Test
    void base64OutputsAreDecodedEvenWhenTheEncodingComesLast() throws Exception {
        byte[] binary = {(byte) 0xff, 0, 'a', (byte) 0xc3};
        String json = "{\"stdout\":\"" + Base64.getEncoder().encodeToString("hello".getBytes(StandardCharsets.UTF_8))
                + "\",\"stderr\":\"" + Base64.getEncoder().encodeToString(binary)
                + "\",\"exit_code\":0,\"duration_ms\":1,\"encoding\":\"base64\"}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ExecResponseReader r =
                new ExecResponseReader(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))).read()) {
            r.writeTo(out, err);
        }
        assertEquals("hello", out.toString(StandardCharsets.UTF_8));
        assertEquals(4, err.size());
        assertEquals((byte) 0xff, err.toByteArray()[0]);
    }

    @Test
    void outputsBeyondTheMemoryLimitPassThroughAFileIntact() throws Exception {
        String big = "x".repeat(3 << 20) + "\u00e9";
        String[] r = read(JSON.writeValueAsString(Map.of("stdout", big, "stderr", "", "exit_code", 0)));
        assertEquals(big, r[0]);
    }

    @Test
    void nullOutputsAreEmpty() throws Exception {
        assertEquals("", read("{\"stdout\":null,\"stderr\":null,\"exit_code\":0}")[0]);
    }

    @Test
    void malformedAnswersAreRefused() {
        for (String bad : new String[] {
            "",
            "[]",
            "{\"stdout\":\"unterminated",
            "{\"exit_code\":1 \"x\":2}",
            "{\"stdout\":\"\\q\",\"exit_code\":0}",
            "{\"stdout\":\"ok\"}"
        }) {
            IOException e = assertThrows(IOException.class, () -> read(bad), bad);
            assertInstanceOf(ExecResponseReader.MalformedAnswerException.class, e, bad);
        }
    }
}
