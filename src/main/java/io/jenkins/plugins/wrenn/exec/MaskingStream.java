package io.jenkins.plugins.wrenn.exec;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Objects;

/**
 * Writes what passes through with the given secrets replaced by {@code ****}, also when a secret
 * is split across writes: for a build step's values that Jenkins calls sensitive (password
 * parameters, variables a credentials wrapper binds), which the step's own lines would otherwise
 * print as they are. Bytes that could still begin a secret are held back until the next write or
 * {@link #finish()}; {@link #flush()} does not release them. The stream it writes to (the build
 * log) is never closed here.
 */
public final class MaskingStream extends OutputStream {

    private final OutputStream out;
    private final SecretMasker masker;

    /** Secrets that are null or empty are ignored. */
    public MaskingStream(OutputStream out, Collection<String> secrets) {
        this.out = out;
        // Compared as bytes, one ISO-8859-1 char each: the log's bytes pass unchanged whatever their
        // encoding, and a secret matches as its UTF-8 bytes.
        this.masker = new SecretMasker(secrets.stream()
                .filter(Objects::nonNull)
                .map(s -> new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1))
                .toList());
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        out.write(masker.mask(new String(b, off, len, StandardCharsets.ISO_8859_1))
                .getBytes(StandardCharsets.ISO_8859_1));
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    /** Writes what was held back; call when the step's output has ended. */
    public synchronized void finish() throws IOException {
        out.write(masker.flush().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** The same as {@link #finish()}: the log itself stays open. */
    @Override
    public void close() throws IOException {
        finish();
    }
}
