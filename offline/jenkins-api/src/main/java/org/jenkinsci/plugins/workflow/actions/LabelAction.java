package org.jenkinsci.plugins.workflow.actions;

public class LabelAction implements PersistentAction {
    public LabelAction(String displayName) {
        throw new UnsupportedOperationException("declaration only");
    }

    @Override
    public native String getIconFileName();

    @Override
    public native String getDisplayName();

    @Override
    public native String getUrlName();
}
