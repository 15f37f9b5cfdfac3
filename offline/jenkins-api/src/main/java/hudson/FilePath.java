package hudson;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.model.TaskListener;
import hudson.remoting.VirtualChannel;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import org.jenkinsci.remoting.RoleSensitive;

public final class FilePath implements Serializable {
    private static final long serialVersionUID = 1L;

    private FilePath() {}

    public interface FileCallable<T> extends Serializable, RoleSensitive {
        T invoke(File f, VirtualChannel channel) throws IOException, InterruptedException;
    }

    public <T> T act(final FileCallable<T> callable) throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    public String getRemote() {
        throw new UnsupportedOperationException();
    }

    public @NonNull FilePath child(String relOrAbsolute) {
        throw new UnsupportedOperationException();
    }

    @CheckForNull
    public FilePath getParent() {
        throw new UnsupportedOperationException();
    }

    public void mkdirs() throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    public boolean isDirectory() throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    @NonNull
    public FilePath[] list(final String includes, final String excludes) throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    public long length() throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    public int mode() throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    public void chmod(final int mask) throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    public InputStream read() throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    public OutputStream write() throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    public void symlinkTo(final String target, final TaskListener listener) throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    public void copyTo(FilePath target) throws IOException, InterruptedException {
        throw new UnsupportedOperationException();
    }
}
