package io.jenkins.plugins.wrenn.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archives crafted here, as a hostile or broken capsule could send them. */
class TarUnpackerTest {

    @TempDir
    Path dir;

    static byte[] entry(String name, char type, byte[] content, String link) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] h = TarFormat.header(name, type, content.length, 0644, 0);
        if (link != null) {
            byte[] l = link.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(l, 0, h, 157, l.length);
            java.util.Arrays.fill(h, 148, 156, (byte) ' ');
            long sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            byte[] digits = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(digits, 0, h, 148, 8);
        }
        out.writeBytes(h);
        out.writeBytes(content);
        out.writeBytes(new byte[TarFormat.padding(content.length)]);
        return out.toByteArray();
    }

    static byte[] archive(byte[]... entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] e : entries) {
            out.writeBytes(e);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    void unpack(byte[] archive) throws IOException {
        try (TarUnpacker u = new TarUnpacker(LocalFiles.target(dir))) {
            // Odd slices, to cross header and content boundaries.
            for (int i = 0; i < archive.length; i += 333) {
                u.write(archive, i, Math.min(333, archive.length - i));
            }
            u.finish();
        }
    }

    @Test
    void aDotDotNameIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path outside = dir.getParent().resolve("escaped-" + dir.getFileName());
        TransferException e = assertThrows(
                TransferException.class,
                () -> unpack(archive(entry("../escaped-" + dir.getFileName(), '0', new byte[] {1}, null))));
        assertTrue(e.getMessage().contains("'../escaped-"), e.getMessage());
        assertFalse(Files.exists(outside));
    }

    @Test
    void anAbsoluteNameIsRefused() {
        TransferException e = assertThrows(
                TransferException.class, () -> unpack(archive(entry("/tmp/x", '0', new byte[] {1}, null))));
        assertTrue(e.getMessage().contains("'/tmp/x'"), e.getMessage());
    }

    @Test
    void aLinkOutThenAFileThroughItIsRefused() {
        TransferException e = assertThrows(
                TransferException.class,
                () -> unpack(archive(entry("d", '2', new byte[0], "/etc"), entry("d/passwd", '0', new byte[1], null))));
        assertTrue(e.getMessage().contains("'d' -> '/etc'"), e.getMessage());
    }

    @Test
    void aTruncatedArchiveFails() throws Exception {
        byte[] whole = archive(entry("a.bin", '0', new byte[5000], null));
        byte[] cut = java.util.Arrays.copyOf(whole, 3000);
        TransferException e = assertThrows(TransferException.class, () -> unpack(cut));
        assertTrue(e.getMessage().contains("ended early, in a.bin"), e.getMessage());
    }

    @Test
    void aDamagedHeaderFails() {
        byte[] a = archive(entry("a", '0', new byte[10], null));
        a[5] ^= 1;
        assertThrows(TransferException.class, () -> unpack(a));
    }

    /** A file entry whose 12-byte size field is given as it stands (GNU base-256 when the top bit is set). */
    static byte[] withSizeField(String name, byte[] sizeField) {
        byte[] h = TarFormat.header(name, '0', 0, 0644, 0);
        System.arraycopy(sizeField, 0, h, 124, 12);
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        byte[] digits = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, h, 148, 8);
        return h;
    }

    /** GNU base-256 of a negative number: the first byte 0xff, then two's complement. */
    static byte[] negative(long value) {
        byte[] field = new byte[12];
        java.util.Arrays.fill(field, (byte) 0xff);
        for (int i = 0; i < 8; i++) {
            field[11 - i] = (byte) (value >>> (8 * i));
        }
        return field;
    }

    /** A pax header record (type x) with these records, for the entry after it. */
    static byte[] pax(String... records) {
        StringBuilder text = new StringBuilder();
        for (String r : records) {
            // "<length> <record>\n", where the length counts its own digits.
            int digits = 1;
            while (Integer.toString(digits + r.length() + 2).length() != digits) {
                digits++;
            }
            text.append(digits + r.length() + 2).append(' ').append(r).append('\n');
        }
        return entry("PaxHeaders/x", 'x', text.toString().getBytes(StandardCharsets.UTF_8), null);
    }

    @Test
    void aNegativeSizeIsADamagedArchiveNamingTheEntry() {
        // The size field is the capsule's to write: -512 would make the unpacker read its own
        // header again (see below), -1 would reach the write as a negative length.
        for (long size : new long[] {-512, -1}) {
            byte[] a = archive(withSizeField("a", negative(size)), new byte[512]);
            TransferException e = assertThrows(TransferException.class, () -> unpack(a), "size " + size);
            assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("size"), e.getMessage());
        }
    }

    @Test
    void aSizeTooLargeForALongIsADamagedArchive() {
        byte[] field = new byte[12];
        java.util.Arrays.fill(field, (byte) 0x7f);
        field[0] = (byte) 0x80 | 0x01;
        TransferException e = assertThrows(TransferException.class, () -> unpack(archive(withSizeField("a", field))));
        assertTrue(e.getMessage().contains("damaged"), e.getMessage());
    }

    @Test
    void aPaxSizeThatIsNoNumberOrNegativeIsADamagedArchive() {
        for (String size : new String[] {"size=-512", "size=lots", "size=99999999999999999999"}) {
            byte[] a = archive(pax(size), entry("a", '0', new byte[0], null));
            TransferException e = assertThrows(TransferException.class, () -> unpack(a), size);
            assertTrue(e.getMessage().contains("damaged"), e.getMessage());
        }
    }

    @Test
    void aNegativeNameRecordSizeIsADamagedArchive() {
        byte[] h = withSizeField("././@LongLink", negative(-512));
        h[156] = 'L';
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        System.arraycopy(String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII), 0, h, 148, 8);
        assertThrows(TransferException.class, () -> unpack(archive(h, new byte[512])));
    }

    /**
     * On an agent the unpacker writes through remoting, whose stream sends nothing for a length of
     * 0 or less instead of failing: a size of -512 then walked the unpacker back onto the header it
     * had just read, which it read again, for ever (one file created per round, the build hung).
     */
    @Test
    void aNegativeSizeNeverRereadsAHeaderWhenTheStreamIgnoresNegativeLengths() {
        List<String> asked = new java.util.ArrayList<>();
        TargetDirectory remoteLike = new TargetDirectory() {
            @Override
            public java.io.OutputStream file(String relativePath, boolean executable) throws IOException {
                asked.add(relativePath);
                if (asked.size() > 3) {
                    throw new AssertionError("the same entry was asked for again and again: " + asked);
                }
                return new java.io.OutputStream() {
                    @Override
                    public void write(int b) {}

                    @Override
                    public void write(byte[] b, int off, int len) {
                        // hudson.remoting.ProxyOutputStream: while (len > 0) { ... }
                    }
                };
            }

            @Override
            public void symlink(String relativePath, String target) {}

            @Override
            public void hardLink(String existing, String relativePath) {}

            @Override
            public void directory(String relativePath) {}
        };
        byte[] a = archive(withSizeField("a", negative(-512)), new byte[512]);
        assertThrows(TransferException.class, () -> {
            try (TarUnpacker u = new TarUnpacker(remoteLike)) {
                u.write(a, 0, a.length);
                u.finish();
            }
        });
        assertTrue(asked.size() <= 1, asked.toString());
    }

    @Test
    void readsWhatTarStreamWrites() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        String longName = "x/".repeat(80) + "deep.txt";
        Files.createDirectories(src.resolve(longName).getParent());
        Files.writeString(src.resolve(longName), "deep");
        Files.write(src.resolve("bin"), new byte[] {0, 1, 2, (byte) 255});
        List<SourceFile> files = LocalFiles.select(src, "**", "");
        byte[] tar;
        try (TarStream in = new TarStream(files, 0, n -> {})) {
            tar = in.readAllBytes();
        }
        assertEquals(TarStream.length(files), tar.length);
        Path out = Files.createDirectories(dir.resolve("out"));
        try (TarUnpacker u = new TarUnpacker(LocalFiles.target(out))) {
            u.write(tar, 0, tar.length);
            u.finish();
            assertEquals(2, u.files());
        }
        assertEquals("deep", Files.readString(out.resolve(longName)));
        assertArrayEquals(new byte[] {0, 1, 2, (byte) 255}, Files.readAllBytes(out.resolve("bin")));
    }
}
