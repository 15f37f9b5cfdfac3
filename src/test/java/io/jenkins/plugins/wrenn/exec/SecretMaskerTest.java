package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretMaskerTest {

    static String feed(SecretMasker m, String... chunks) {
        StringBuilder out = new StringBuilder();
        for (String c : chunks) {
            out.append(m.mask(c));
        }
        return out.append(m.flush()).toString();
    }

    @Test
    void masksASecretSplitAtEveryPossiblePoint() {
        String text = "key=wrn_secret_123 and again wrn_secret_123!";
        for (int i = 0; i <= text.length(); i++) {
            for (int j = i; j <= text.length(); j++) {
                SecretMasker m = new SecretMasker(List.of("wrn_secret_123"));
                String out = feed(m, text.substring(0, i), text.substring(i, j), text.substring(j));
                assertEquals("key=**** and again ****!", out, "split at " + i + "," + j);
            }
        }
    }

    @Test
    void holdsBackOnlyAPossibleSecretStart() {
        SecretMasker m = new SecretMasker(List.of("abcdef"));
        assertEquals("line one\n", m.mask("line one\n"));
        assertEquals("x", m.mask("xabc"));
        assertEquals("abcX", m.mask("X"));
        assertEquals("", m.flush());
    }

    @Test
    void longerSecretWinsOverOneItContains() {
        SecretMasker m = new SecretMasker(Arrays.asList("pass", "password1", "", null));
        assertEquals("**** ****", feed(m, "password1 pa", "ss"));
    }

    @Test
    void noSecretsPassEverythingThrough() {
        SecretMasker m = new SecretMasker(List.of());
        assertEquals("anything", m.mask("anything"));
    }
}
