package hudson.model;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.security.AccessControlled;

public abstract class Computer extends Actionable implements AccessControlled {
    public native @NonNull String getName();

    public final native boolean isOnline();
}
