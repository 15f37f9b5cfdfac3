package hudson.model;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.security.AccessControlled;
import hudson.slaves.OfflineCause;
import java.util.concurrent.Future;

public abstract class Computer extends Actionable implements AccessControlled {
    public native @NonNull String getName();

    public final native boolean isOnline();

    public native Future<?> disconnect(OfflineCause cause);
}
