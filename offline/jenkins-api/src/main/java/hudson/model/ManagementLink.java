package hudson.model;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.ExtensionPoint;

public abstract class ManagementLink implements ExtensionPoint, Action {
    @Override
    public abstract @CheckForNull String getIconFileName();

    public native String getDescription();

    @Override
    public abstract @CheckForNull String getUrlName();

    public native @NonNull Category getCategory();

    public enum Category {
        CONFIGURATION,
        PLUGINS,
        SECURITY,
        STATUS,
        TROUBLESHOOTING,
        TOOLS,
        MISC,
        UNCATEGORIZED
    }
}
