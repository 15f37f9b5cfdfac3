package io.jenkins.plugins.wrenn.api;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Reads a foreground exec answer ({@code {"stdout": ..., "stderr": ..., "exit_code": ...,
 * "encoding": ...}}) in bounded memory. Jackson cannot hand out a string value piece by piece, and
 * the server names the {@code encoding} only after the outputs, so this small reader copies the two
 * string values into {@link Spool}s as it reads them and decodes them once the encoding is known.
 * It accepts any JSON object; fields other than these five are skipped.
 */
final class ExecResponseReader implements AutoCloseable {

    /** The answer is not the JSON the API promises (as opposed to a broken connection). */
    static final class MalformedAnswerException extends IOException {
        private static final long serialVersionUID = 1L;

        MalformedAnswerException(String message) {
            super(message);
        }
    }

    private static final int MEMORY_LIMIT = 1 << 20;
    private static final int MAX_SMALL_VALUE = 1 << 16;

    private final Reader in;
    private final Spool stdout = new Spool(MEMORY_LIMIT);
    private final Spool stderr = new Spool(MEMORY_LIMIT);
    private Integer exitCode;
    private long durationMs;
    private String encoding = "utf-8";
    private int peeked = -2;

    ExecResponseReader(InputStream body) {
        this.in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16);
    }

    /** Reads the whole answer. */
    ExecResponseReader read() throws IOException {
        expect('{');
        if (skipSpace() == '}') {
            next();
        } else {
            do {
                String field = smallString();
                expect(':');
                switch (field) {
                    case "stdout" -> outputValue(stdout);
                    case "stderr" -> outputValue(stderr);
                    case "exit_code" -> exitCode = (int) number();
                    case "duration_ms" -> durationMs = number();
                    case "encoding" -> encoding = smallString();
                    default -> skipValue();
                }
            } while (separator());
        }
        if (exitCode == null) {
            throw new MalformedAnswerException("no exit_code in the answer");
        }
        return this;
    }

    int exitCode() {
        return exitCode;
    }

    long durationMs() {
        return durationMs;
    }

    /** Writes the decoded outputs to the sinks. */
    void writeTo(OutputStream stdoutSink, OutputStream stderrSink) throws IOException {
        copy(stdout, stdoutSink);
        copy(stderr, stderrSink);
    }

    private void copy(Spool spool, OutputStream sink) throws IOException {
        try (InputStream raw = spool.read();
                InputStream decoded = "base64".equalsIgnoreCase(encoding)
                        ? Base64.getMimeDecoder().wrap(raw)
                        : raw) {
            decoded.transferTo(sink);
        }
        sink.flush();
    }

    @Override
    public void close() throws IOException {
        stdout.close();
        stderr.close();
    }

    // ---- a minimal JSON reader: only what an exec answer needs, in one pass

    private int next() throws IOException {
        if (peeked != -2) {
            int c = peeked;
            peeked = -2;
            return c;
        }
        return in.read();
    }

    private int peek() throws IOException {
        if (peeked == -2) {
            peeked = in.read();
        }
        return peeked;
    }

    private int skipSpace() throws IOException {
        int c = peek();
        while (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            next();
            c = peek();
        }
        return c;
    }

    private void expect(char wanted) throws IOException {
        int c = skipSpace();
        if (c != wanted) {
            throw new MalformedAnswerException("expected '" + wanted + "' in the answer, found " + describe(c));
        }
        next();
    }

    /** After a value: true for ',' (another field follows), false for '}'. */
    private boolean separator() throws IOException {
        int c = skipSpace();
        next();
        if (c == ',') {
            return true;
        }
        if (c == '}') {
            return false;
        }
        throw new MalformedAnswerException("expected ',' or '}' in the answer, found " + describe(c));
    }

    private void outputValue(Spool spool) throws IOException {
        if (skipSpace() == 'n') {
            literal("null");
            return;
        }
        Writer out = new BufferedWriter(new OutputStreamWriter(spool, StandardCharsets.UTF_8), 1 << 16);
        stringBody(out, Long.MAX_VALUE);
        out.flush();
    }

    private String smallString() throws IOException {
        if (skipSpace() == 'n') {
            literal("null");
            return null;
        }
        StringBuilder text = new StringBuilder();
        stringBody(
                new Writer() {
                    @Override
                    public void write(char[] cbuf, int off, int len) {
                        text.append(cbuf, off, len);
                    }

                    @Override
                    public void write(int c) {
                        text.append((char) c);
                    }

                    @Override
                    public void flush() {}

                    @Override
                    public void close() {}
                },
                MAX_SMALL_VALUE);
        return text.toString();
    }

    /** Reads a JSON string (from its opening quote), unescaping into {@code out}. */
    private void stringBody(Writer out, long maxChars) throws IOException {
        expect('"');
        long count = 0;
        while (true) {
            int c = next();
            if (c == -1) {
                throw new MalformedAnswerException("the answer ended inside a string");
            }
            if (c == '"') {
                return;
            }
            if (c == '\\') {
                c = escaped();
            }
            if (++count > maxChars) {
                throw new MalformedAnswerException("a field of the answer is longer than " + maxChars + " characters");
            }
            out.write(c);
        }
    }

    private int escaped() throws IOException {
        int c = next();
        return switch (c) {
            case '"', '\\', '/' -> c;
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'u' -> {
                int code = 0;
                for (int i = 0; i < 4; i++) {
                    int digit = Character.digit(next(), 16);
                    if (digit < 0) {
                        throw new MalformedAnswerException("a bad \\u escape in the answer");
                    }
                    code = code * 16 + digit;
                }
                yield code;
            }
            default -> throw new MalformedAnswerException("a bad escape in the answer: \\" + describe(c));
        };
    }

    private long number() throws IOException {
        skipSpace();
        StringBuilder text = new StringBuilder();
        int c = peek();
        while (c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || (c >= '0' && c <= '9')) {
            text.append((char) next());
            c = peek();
        }
        try {
            return (long) Double.parseDouble(text.toString());
        } catch (NumberFormatException e) {
            throw new MalformedAnswerException("expected a number in the answer, found '" + text + "'");
        }
    }

    private void literal(String word) throws IOException {
        for (int i = 0; i < word.length(); i++) {
            if (next() != word.charAt(i)) {
                throw new MalformedAnswerException("expected " + word + " in the answer");
            }
        }
    }

    /** Skips any value, nested or not, without keeping it. */
    private void skipValue() throws IOException {
        int c = skipSpace();
        switch (c) {
            case '"' -> stringBody(Writer.nullWriter(), Long.MAX_VALUE);
            case '{', '[' -> {
                next();
                int depth = 1;
                while (depth > 0) {
                    int d = peek();
                    if (d == -1) {
                        throw new MalformedAnswerException("the answer ended inside a value");
                    }
                    if (d == '"') {
                        stringBody(Writer.nullWriter(), Long.MAX_VALUE);
                        continue;
                    }
                    next();
                    if (d == '{' || d == '[') {
                        depth++;
                    } else if (d == '}' || d == ']') {
                        depth--;
                    }
                }
            }
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        }
    }

    private static String describe(int c) {
        return c == -1 ? "the end" : "'" + (char) c + "'";
    }
}
