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
