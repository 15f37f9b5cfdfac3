package hudson.model;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.io.IOException;

public abstract class Run<JobT extends Job<JobT, RunT>, RunT extends Run<JobT, RunT>> extends Actionable
        implements Saveable {
    public native boolean isBuilding();

    public native boolean isLogUpdated();

    public native @NonNull String getExternalizableId();

    public static native @CheckForNull Run<?, ?> fromExternalizableId(String id);

    public native int getNumber();

    public native @NonNull String getUrl();

    public native @CheckForNull Result getResult();

    public native @NonNull JobT getParent();

    @Override
    public synchronized native void save() throws IOException;
}
