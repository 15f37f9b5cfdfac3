package io.jenkins.plugins.wrenn.files;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.LongConsumer;

/**
 * A tar archive of the given files, produced as it is read: one file open at a time, nothing held
 * but one block. Paths keep their directories and the executable bit. A file whose content turns
 * out longer or shorter than its announced size fails the read, naming the file, so that a changed
 * file never yields an archive that unpacks to something else.
 */
final class TarStream extends SequenceInputStream {

    TarStream(List<SourceFile> files, long mtimeSeconds, LongConsumer progress) {
        super(pieces(files, mtimeSeconds, progress));
    }

    /** How many bytes the archive of these files has. */
    static long length(List<SourceFile> files) {
        long total = 2L * TarFormat.BLOCK;
        for (SourceFile f : files) {
            total += longRecordLength(f.relativePath());
            if (f.linkTarget() != null) {
                total += longRecordLength(f.linkTarget()) + TarFormat.BLOCK;
            } else {
                total += TarFormat.BLOCK + f.size() + TarFormat.padding(f.size());
            }
        }
        return total;
    }

    /** The bytes of the GNU record that carries a name or link target longer than a header holds. */
    private static long longRecordLength(String text) {
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        return bytes > 100 ? TarFormat.BLOCK + bytes + 1 + TarFormat.padding(bytes + 1) : 0;
    }

    private static Enumeration<InputStream> pieces(List<SourceFile> files, long mtime, LongConsumer progress) {
        Iterator<SourceFile> next = files.iterator();
        List<InputStream> queue = new ArrayList<>();
        return new Enumeration<>() {
            private boolean ended;

            @Override
            public boolean hasMoreElements() {
                return !queue.isEmpty() || next.hasNext() || !ended;
            }

            @Override
            public InputStream nextElement() {
                if (queue.isEmpty()) {
                    if (next.hasNext()) {
                        enqueue(next.next());
                    } else if (!ended) {
                        ended = true;
                        return new ByteArrayInputStream(new byte[2 * TarFormat.BLOCK]);
                    } else {
                        throw new NoSuchElementException();
                    }
                }
                return queue.remove(0);
            }

            private void enqueue(SourceFile f) {
                longRecord(f.relativePath(), TarFormat.GNU_LONG_NAME);
                if (f.linkTarget() != null) {
                    // A link travels as its target text: what it points to is never read.
                    longRecord(f.linkTarget(), TarFormat.GNU_LONG_LINK);
                    queue.add(new ByteArrayInputStream(
                            TarFormat.header(f.relativePath(), TarFormat.SYMLINK, 0, 0777, mtime, f.linkTarget())));
                    return;
                }
                queue.add(new ByteArrayInputStream(TarFormat.header(
                        f.relativePath(), TarFormat.FILE, f.size(), f.executable() ? 0755 : 0644, mtime)));
                queue.add(new Content(f, progress));
                queue.add(new ByteArrayInputStream(new byte[TarFormat.padding(f.size())]));
            }

            /** A GNU record with a name or link target too long for the header, before the header. */
            private void longRecord(String text, char type) {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                if (bytes.length > 100) {
                    byte[] record = new byte[bytes.length + 1];
                    System.arraycopy(bytes, 0, record, 0, bytes.length);
                    queue.add(new ByteArrayInputStream(
                            TarFormat.header(TarFormat.LONG_LINK_NAME, type, record.length, 0644, mtime)));
                    queue.add(new ByteArrayInputStream(record));
                    queue.add(new ByteArrayInputStream(new byte[TarFormat.padding(record.length)]));
                }
            }
        };
    }

    /** One file's content, opened when first read, checked against its announced size. */
    private static final class Content extends FilterInputStream {
        private final SourceFile file;
        private final LongConsumer progress;
        private long remaining;
        private boolean opened;

        Content(SourceFile file, LongConsumer progress) {
            super(null);
            this.file = file;
            this.progress = progress;
            this.remaining = file.size();
        }

        private void open() throws IOException {
            if (!opened) {
                opened = true;
                try {
                    in = file.open();
                } catch (TransferException e) {
                    throw e;
                } catch (IOException e) {
                    // Gone or unreadable since it was listed: the file, not the connection, failed.
                    throw new TransferException(
                            "Could not read " + file.relativePath() + " to send it (" + e.getMessage()
                                    + "); nothing was unpacked in the capsule",
                            e);
                }
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            open();
            if (remaining == 0) {
                if (in.read() >= 0) {
                    throw changed("grew");
                }
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw changed("shrank");
            }
            remaining -= n;
            progress.accept(n);
            return n;
        }

        private TransferException changed(String how) {
            return new TransferException("The file " + file.relativePath() + " " + how + " while it was being sent ("
                    + file.size() + " bytes when listed); nothing was unpacked in the capsule");
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
            }
        }
    }
}
