package io.jenkins.plugins.wrenn.files;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The parts of the tar format both directions need: 512-byte blocks, ustar headers with GNU long
 * names and base-256 sizes, which GNU tar and BusyBox tar in a capsule both read and write.
 */
final class TarFormat {

    static final int BLOCK = 512;
    static final char FILE = '0';
    static final char HARD_LINK = '1';
    static final char SYMLINK = '2';
    static final char DIRECTORY = '5';
    static final char GNU_LONG_NAME = 'L';
    static final char GNU_LONG_LINK = 'K';
    static final char PAX_HEADER = 'x';
    static final char PAX_GLOBAL = 'g';
    static final String LONG_LINK_NAME = "././@LongLink";

    private static final long LARGEST_OCTAL_SIZE = 077777777777L;

    private TarFormat() {}

    /** A header block for an entry whose name fits (callers send a long name first). */
    static byte[] header(String name, char type, long size, int mode, long mtimeSeconds) {
        return header(name, type, size, mode, mtimeSeconds, "");
    }

    /**
     * A header block with a link's target; a name or target longer than 100 bytes is cut here, the
     * caller sends it whole first (GNU long name and long link records).
     */
    static byte[] header(String name, char type, long size, int mode, long mtimeSeconds, String linkName) {
        byte[] h = new byte[BLOCK];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, Math.min(n.length, 100));
        byte[] l = linkName.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(l, 0, h, 157, Math.min(l.length, 100));
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        if (size > LARGEST_OCTAL_SIZE) {
            // GNU base-256: the top bit of the first byte marks a big-endian binary number.
            h[124] = (byte) 0x80;
            for (int i = 0; i < 8; i++) {
                h[135 - i] = (byte) (size >>> (8 * i));
            }
        } else {
            octal(h, 124, 12, size);
        }
        octal(h, 136, 12, mtimeSeconds);
        h[156] = (byte) type;
        byte[] magic = "ustar\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(magic, 0, h, 257, magic.length);
        h[263] = '0';
        h[264] = '0';
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        return h;
    }

    /** Zero bytes that fill content of this size up to a whole block. */
    static int padding(long size) {
        int rest = (int) (size % BLOCK);
        return rest == 0 ? 0 : BLOCK - rest;
    }

    private static void octal(byte[] h, int offset, int length, long value) {
        String digits = Long.toOctalString(value);
        int width = length - 1;
        if (digits.length() > width) {
            throw new IllegalArgumentException("value too large for a tar header field: " + value);
        }
        String padded = "0".repeat(width - digits.length()) + digits;
        System.arraycopy(padded.getBytes(StandardCharsets.US_ASCII), 0, h, offset, width);
        h[offset + width] = 0;
    }

    /**
     * Reads a numeric field: octal, or GNU base-256 when the top bit is set.
     *
     * @throws TransferException when it is no number, or a base-256 number that is negative or does
     *     not fit a long: a size read as negative would make the reader step back over what it read
     */
    static long number(byte[] h, int offset, int length) throws TransferException {
        if ((h[offset] & 0x80) != 0) {
            // GNU marks a negative base-256 number with the sign bit after the marker bit.
            if ((h[offset] & 0x40) != 0) {
                throw new TransferException("The archive from the capsule is damaged: a header has a negative number");
            }
            long v = h[offset] & 0x3f;
            for (int i = 1; i < length; i++) {
                if (v > (Long.MAX_VALUE >>> 8)) {
                    throw new TransferException(
                            "The archive from the capsule is damaged: a header has a number too large for any file");
                }
                v = (v << 8) | (h[offset + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        boolean any = false;
        for (int i = offset; i < offset + length; i++) {
            byte b = h[i];
            if (b == 0 || (b == ' ' && any)) {
                break;
            }
            if (b == ' ') {
                continue;
            }
            if (b < '0' || b > '7') {
                throw new TransferException("The archive from the capsule is damaged: a header has a bad number");
            }
            v = (v << 3) + (b - '0');
            any = true;
        }
        return v;
    }

    /** A NUL-terminated text field. */
    static String text(byte[] h, int offset, int length) {
        int end = offset;
        while (end < offset + length && h[end] != 0) {
            end++;
        }
        return new String(h, offset, end - offset, StandardCharsets.UTF_8);
    }

    static boolean checksumMatches(byte[] h) throws TransferException {
        long stored = number(h, 148, 8);
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : h[i];
            unsigned += b & 0xff;
            signed += (i >= 148 && i < 156) ? ' ' : h[i];
        }
        return stored == unsigned || stored == signed;
    }

    static boolean isZero(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
