package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The offsets a follower resumes from count bytes as the log's UTF-8 encoding does. */
class Utf8LengthTest {

    private static void assertCountsLikeGetBytes(String text) {
        assertEquals(
                text.getBytes(StandardCharsets.UTF_8).length,
                DurableRun.utf8Length(text),
                () -> "for " + text.chars().mapToObj(Integer::toHexString).toList());
    }

    @Test
    void everyEncodedLengthAndBrokenSurrogates() {
        for (String text : List.of(
                "",
                "plain ascii\n",
                "\u00e9t\u00e9",
                "\u20ac 5",
                "\ufffd",
                "\ud83d\ude00 pair",
                "lone high \ud83d",
                "\ud83d lone high first",
                "lone low \ude00 here",
                "\ude00\ud83d reversed",
                "\ud83d\ud83d\ude00 high, then a pair")) {
            assertCountsLikeGetBytes(text);
        }
    }

    @Test
    void randomTextAcrossAllCharRanges() {
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            char[] chars = new char[random.nextInt(40)];
            for (int k = 0; k < chars.length; k++) {
                // Mostly from the interesting ranges: ASCII, two and three bytes, surrogates.
                chars[k] = switch (random.nextInt(5)) {
                    case 0 -> (char) random.nextInt(0x80);
                    case 1 -> (char) (0x80 + random.nextInt(0x800 - 0x80));
                    case 2 -> (char) (0xd800 + random.nextInt(0x800));
                    default -> (char) random.nextInt(0x10000);
                };
            }
            assertCountsLikeGetBytes(new String(chars));
        }
    }
}
