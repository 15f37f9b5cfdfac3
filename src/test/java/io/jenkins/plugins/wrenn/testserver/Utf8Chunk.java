package io.jenkins.plugins.wrenn.testserver;

/**
 * Turns one chunk of process output into the string the real server sends. Its control plane puts
 * the raw bytes into a Go string and JSON-encodes it, and Go's encoder replaces every byte that does
 * not start a valid UTF-8 sequence with U+FFFD, one replacement per byte. A character split between
 * two chunks therefore arrives as replacement characters in both messages, never re-joined.
 */
final class Utf8Chunk {

    private static final char REPLACEMENT = '\uFFFD';

    private Utf8Chunk() {}

    static String decode(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length);
        int i = 0;
        while (i < length) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int width = sequenceLength(bytes, i, length);
            if (width == 0) {
                out.append(REPLACEMENT);
                i++;
                continue;
            }
            int cp = b0 & (0xFF >> (width + 1));
            for (int k = 1; k < width; k++) {
                cp = (cp << 6) | (bytes[i + k] & 0x3F);
            }
            out.appendCodePoint(cp);
            i += width;
        }
        return out.toString();
    }

    /** The length of the valid UTF-8 sequence starting at {@code i}, or 0 when it is not one (Go's rules). */
    private static int sequenceLength(byte[] bytes, int i, int length) {
        int b0 = bytes[i] & 0xFF;
        int width;
        int lo = 0x80;
        int hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            width = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            width = 3;
            if (b0 == 0xE0) {
                lo = 0xA0;
            } else if (b0 == 0xED) {
                hi = 0x9F;
            }
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            width = 4;
            if (b0 == 0xF0) {
                lo = 0x90;
            } else if (b0 == 0xF4) {
                hi = 0x8F;
            }
        } else {
            return 0;
        }
        if (i + width > length) {
            return 0;
        }
        int b1 = bytes[i + 1] & 0xFF;
        if (b1 < lo || b1 > hi) {
            return 0;
        }
        for (int k = 2; k < width; k++) {
            int b = bytes[i + k] & 0xFF;
            if (b < 0x80 || b > 0xBF) {
                return 0;
            }
        }
        return width;
    }
}
