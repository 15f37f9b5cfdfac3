package io.jenkins.plugins.wrenn.benchmark;

import java.io.IOException;
import java.io.OutputStream;

/** The command's own output in an engine log: the engine's header line comes first and is not output. */
final class CommandOutput extends OutputStream {

    private final OutputStream out;
    private boolean inHeader = true;

    private CommandOutput(OutputStream out) {
        this.out = out;
    }

    /** Passes on everything after the log's first line. */
    static OutputStream of(OutputStream out) {
        return new CommandOutput(out);
    }

    @Override
    public void write(int b) throws IOException {
        if (inHeader) {
            inHeader = b != '\n';
        } else {
            out.write(b);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int start = off;
        int end = off + len;
        while (inHeader && start < end) {
            inHeader = b[start++] != '\n';
        }
        if (start < end) {
            out.write(b, start, end - start);
        }
    }
}
