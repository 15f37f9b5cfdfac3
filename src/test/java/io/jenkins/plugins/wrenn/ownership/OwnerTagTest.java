package io.jenkins.plugins.wrenn.ownership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class OwnerTagTest {

    /** The server's rule for keys (pkg/validate/metadata.go). */
    static final Pattern KEY = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}");

    @Test
    void labelsFitTheServersRules() {
        Map<String, String> labels = new OwnerTag("0f3c9a1e5d7b2c4a6e8f0a1b2c3d4e5f", "team/app", 42, "r-1").labels();
        assertTrue(labels.size() <= 20);
        labels.forEach((k, v) -> {
            assertTrue(KEY.matcher(k).matches(), k);
            assertTrue(v.codePointCount(0, v.length()) <= 64, v);
        });
        assertEquals("team/app", labels.get(OwnerTag.JOB));
        assertEquals("42", labels.get(OwnerTag.BUILD));
        assertTrue(OwnerTag.mine(labels, "0f3c9a1e5d7b2c4a6e8f0a1b2c3d4e5f"));
        assertFalse(OwnerTag.mine(labels, "another"));
        assertFalse(OwnerTag.mine(
                Map.of(OwnerTag.INSTANCE, "0f3c9a1e5d7b2c4a6e8f0a1b2c3d4e5f"), "0f3c9a1e5d7b2c4a6e8f0a1b2c3d4e5f"));
    }

    @Test
    void aLongJobNameKeepsItsEndAndNeverSplitsACharacter() {
        String job = "folder/".repeat(10) + "\uD83D\uDE80".repeat(40) + "/release";
        String fitted = OwnerTag.fit(job);
        assertEquals(64, fitted.codePointCount(0, fitted.length()));
        assertTrue(fitted.startsWith("\u2026"));
        assertTrue(fitted.endsWith("/release"));
        fitted.codePoints().forEach(cp -> assertFalse(Character.isSurrogate((char) cp) && cp < 0x10000, "split"));
        assertEquals("short", OwnerTag.fit("short"));
    }
}
