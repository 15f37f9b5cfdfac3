package io.jenkins.plugins.wrenn.api;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Holds bytes for a moment: in memory up to a limit, then in a temporary file, so that an output
 * of any size costs bounded memory. Deletes its file when closed.
 */
final class Spool extends OutputStream {

    private final int memoryLimit;
    private ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream fileOut;

    Spool(int memoryLimit) {
        this.memoryLimit = memoryLimit;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (fileOut == null && memory.size() + len > memoryLimit) {
            file = Files.createTempFile("wrenn-exec-", ".out");
            fileOut = Files.newOutputStream(file);
            memory.writeTo(fileOut);
            memory = null;
        }
        if (fileOut != null) {
            fileOut.write(b, off, len);
        } else {
            memory.write(b, off, len);
        }
    }

    /** What was written, from the start. */
    InputStream read() throws IOException {
        if (fileOut == null) {
            return new ByteArrayInputStream(memory.toByteArray());
        }
        fileOut.flush();
        return Files.newInputStream(file);
    }

    @Override
    public void close() throws IOException {
        if (fileOut != null) {
            fileOut.close();
            Files.deleteIfExists(file);
        }
    }
}
