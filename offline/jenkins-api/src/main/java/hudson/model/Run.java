package hudson.model;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.io.IOException;

public abstract class Run<JobT extends Job<JobT, RunT>, RunT extends Run<JobT, RunT>> extends Actionable
        implements Saveable {
    public boolean isBuilding() {
        throw new UnsupportedOperationException("declaration only");
    }

    public int getNumber() {
        throw new UnsupportedOperationException("declaration only");
    }

    public String getUrl() {
        throw new UnsupportedOperationException("declaration only");
    }

    public @CheckForNull Result getResult() {
        throw new UnsupportedOperationException("declaration only");
    }

    public @NonNull JobT getParent() {
        throw new UnsupportedOperationException("declaration only");
    }

    @Override
    public synchronized void save() throws IOException {
        throw new UnsupportedOperationException("declaration only");
    }
}
