package io.jenkins.plugins.wrenn.exec;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Replaces secrets in a stream of text chunks with {@code ****}, also when a secret is split across
 * chunks. Only text that could still be the start of a secret is held back, so ordinary output
 * passes through at once. One instance per output stream; not thread-safe.
 */
public final class SecretMasker {

    static final String MASK = "****";

    private final List<String> secrets;
    private final StringBuilder pending = new StringBuilder();

    /** Secrets that are null or empty are ignored. */
    public SecretMasker(List<String> secrets) {
        this.secrets = secrets.stream()
                .filter(Objects::nonNull)
                .filter(s -> !s.isEmpty())
                .distinct()
                // Longest first, so a secret containing another is masked whole.
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
    }

    /** Takes the next chunk and returns what can be written now. */
    public String mask(String chunk) {
        if (secrets.isEmpty()) {
            return chunk;
        }
        // Nearly always nothing is held back: then the chunk is used as it is, without a copy.
        String text =
                replaceAll(pending.isEmpty() ? chunk : pending.append(chunk).toString());
        int keep = longestSecretPrefixAtEnd(text);
        pending.setLength(0);
        pending.append(text, text.length() - keep, text.length());
        return text.substring(0, text.length() - keep);
    }

    /** Returns whatever was held back; call once the stream has ended. */
    public String flush() {
        String rest = pending.toString();
        pending.setLength(0);
        return rest;
    }

    private String replaceAll(String text) {
        String out = text;
        for (String s : secrets) {
            out = out.replace(s, MASK);
        }
        return out;
    }

    private int longestSecretPrefixAtEnd(String text) {
        int best = 0;
        for (String s : secrets) {
            for (int n = Math.min(s.length() - 1, text.length()); n > best; n--) {
                if (text.regionMatches(text.length() - n, s, 0, n)) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}
