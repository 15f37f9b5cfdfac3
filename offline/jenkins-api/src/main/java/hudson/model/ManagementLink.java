package hudson.model;

import hudson.ExtensionPoint;

public abstract class ManagementLink implements ExtensionPoint, Action {
    @Override
    public abstract String getIconFileName();

    public native String getDescription();

    @Override
    public abstract String getUrlName();

    public native Category getCategory();

    public enum Category {
        CONFIGURATION,
        SECURITY,
        STATUS,
        TROUBLESHOOTING,
        TOOLS,
        MISC,
        UNCATEGORIZED
    }
}
