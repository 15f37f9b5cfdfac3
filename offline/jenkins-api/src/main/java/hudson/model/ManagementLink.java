package hudson.model;

import hudson.ExtensionPoint;

public abstract class ManagementLink implements ExtensionPoint, Action {
    @Override
    public abstract String getIconFileName();

    public String getDescription() {
        throw new UnsupportedOperationException("declaration only");
    }

    @Override
    public abstract String getUrlName();

    public Category getCategory() {
        throw new UnsupportedOperationException("declaration only");
    }

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
