package io.jenkins.plugins.wrenn.files;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Unpacks a tar archive as its bytes are written to it, into a {@link TargetDirectory}: every
 * name is checked by {@link SafeNames} first, file content goes straight through, nothing but one
 * header is held. {@link #finish()} fails unless the archive's end was reached, so that a cut
 * transfer never passes for a complete one.
 */
final class TarUnpacker extends OutputStream {

    private static final int MAX_META = 1 << 20;

    private enum State {
        HEADER,
        CONTENT,
        META,
        PADDING,
        END
    }

    private final TargetDirectory target;
    private final SafeNames names = new SafeNames();
    private final byte[] header = new byte[TarFormat.BLOCK];
    private int headerFill;
    private State state = State.HEADER;
    private long remaining;
    private int padding;
    private OutputStream current;
    private String currentName;
    private char metaType;
    private final ByteArrayOutputStream meta = new ByteArrayOutputStream();
    private String longName;
    private String longLink;
    private Long paxSize;
    private int files;
    private long bytes;

    TarUnpacker(TargetDirectory target) {
        this.target = target;
    }

    int files() {
        return files;
    }

    /** Content bytes of the files written so far. */
    long bytes() {
        return bytes;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int end = off + len;
        while (off < end) {
            switch (state) {
                case HEADER -> {
                    int n = Math.min(end - off, TarFormat.BLOCK - headerFill);
                    System.arraycopy(b, off, header, headerFill, n);
                    headerFill += n;
                    off += n;
                    if (headerFill == TarFormat.BLOCK) {
                        headerFill = 0;
                        onHeader();
                    }
                }
                case CONTENT, META -> {
                    int n = (int) Math.min(end - off, remaining);
                    if (state == State.CONTENT) {
                        current.write(b, off, n);
                        bytes += n;
                    } else {
                        meta.write(b, off, n);
                    }
                    off += n;
                    remaining -= n;
                    if (remaining == 0) {
                        endEntry();
                    }
                }
                case PADDING -> {
                    int n = Math.min(end - off, padding);
                    off += n;
                    padding -= n;
                    if (padding == 0) {
                        state = State.HEADER;
                    }
                }
                case END -> off = end;
            }
        }
    }

    private void onHeader() throws IOException {
        if (TarFormat.isZero(header)) {
            state = State.END;
            return;
        }
        if (!TarFormat.checksumMatches(header)) {
            throw new TransferException("The archive from the capsule is damaged: a header's checksum does not match");
        }
        char type = (char) header[156];
        String name = longName != null ? longName : fullName();
        long size;
        try {
            size = paxSize != null ? paxSize : TarFormat.number(header, 124, 12);
        } catch (TransferException e) {
            throw new TransferException("The archive from the capsule is damaged: the size of '" + name
                    + "' is negative or too large for any file");
        }
        String link = longLink != null ? longLink : TarFormat.text(header, 157, 100);
        int mode = (int) TarFormat.number(header, 100, 8);
        switch (type) {
            case TarFormat.GNU_LONG_NAME, TarFormat.GNU_LONG_LINK, TarFormat.PAX_HEADER, TarFormat.PAX_GLOBAL -> {
                if (size > MAX_META) {
                    throw new TransferException(
                            "The archive from the capsule is damaged: a name record of " + size + " bytes");
                }
                metaType = type;
                meta.reset();
                begin(State.META, size);
                return;
            }
            default -> {}
        }
        longName = null;
        longLink = null;
        paxSize = null;
        switch (type) {
            case TarFormat.FILE, '\0', '7' -> {
                currentName = names.file(name);
                current = target.file(currentName, (mode & 0111) != 0);
                files++;
                begin(State.CONTENT, size);
            }
            case TarFormat.DIRECTORY -> {
                target.directory(names.file(name));
                begin(State.CONTENT, 0);
            }
            case TarFormat.SYMLINK -> {
                target.symlink(names.link(name, link), link);
                files++;
                begin(State.CONTENT, 0);
            }
            case TarFormat.HARD_LINK -> {
                String path = names.hardLink(name, link);
                target.hardLink(SafeNames.existing(link), path);
                files++;
                begin(State.CONTENT, 0);
            }
            default ->
                throw new TransferException("Refused '" + name
                        + "' from the capsule: it is not a regular file, directory or link (tar type '" + type + "')");
        }
    }

    private String fullName() {
        String name = TarFormat.text(header, 0, 100);
        // Only POSIX ustar headers have a prefix field; GNU headers keep other data there.
        boolean posix = header[257] == 'u' && header[262] == 0;
        String prefix = posix ? TarFormat.text(header, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private void begin(State next, long size) throws IOException {
        remaining = size;
        padding = TarFormat.padding(size);
        state = next;
        if (size == 0) {
            endEntry();
        }
    }

    private void endEntry() throws IOException {
        if (state == State.CONTENT && current != null) {
            current.close();
            current = null;
        } else if (state == State.META) {
            onMeta();
        }
        state = padding == 0 ? State.HEADER : State.PADDING;
    }

    private void onMeta() throws TransferException {
        byte[] data = meta.toByteArray();
        switch (metaType) {
            case TarFormat.GNU_LONG_NAME -> longName = TarFormat.text(data, 0, data.length);
            case TarFormat.GNU_LONG_LINK -> longLink = TarFormat.text(data, 0, data.length);
            case TarFormat.PAX_HEADER -> pax(new String(data, StandardCharsets.UTF_8));
            default -> {}
        }
    }

    /** Records of the form {@code "<length> <key>=<value>\n"}. */
    private void pax(String records) throws TransferException {
        int at = 0;
        while (at < records.length()) {
            int space = records.indexOf(' ', at);
            int equals = records.indexOf('=', space);
            int end = records.indexOf('\n', equals);
            if (space < 0 || equals < 0 || end < 0) {
                throw new TransferException("The archive from the capsule is damaged: a bad pax record");
            }
            String key = records.substring(space + 1, equals);
            String value = records.substring(equals + 1, end);
            switch (key) {
                case "path" -> longName = value;
                case "linkpath" -> longLink = value;
                case "size" -> paxSize = paxSize(value);
                default -> {}
            }
            at = end + 1;
        }
    }

    /** A pax size: a decimal number of bytes, never negative (a negative one would step the reader back). */
    private static long paxSize(String value) throws TransferException {
        try {
            long size = Long.parseLong(value);
            if (size >= 0) {
                return size;
            }
        } catch (NumberFormatException e) {
            // not a number of bytes: the same answer as for a negative one
        }
        throw new TransferException("The archive from the capsule is damaged: a pax record gives the size '" + value
                + "', which is no number of bytes");
    }

    /**
     * Checks that the whole archive arrived.
     *
     * @throws TransferException naming the file being written when the archive was cut
     */
    void finish() throws IOException {
        if (state != State.END) {
            if (current != null) {
                current.close();
            }
            throw new TransferException("The archive from the capsule ended early"
                    + (currentName != null && state == State.CONTENT ? ", in " + currentName : "")
                    + "; the files were not all fetched");
        }
    }

    @Override
    public void close() throws IOException {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
