package org.jenkinsci.plugins.workflow.actions;

public class LabelAction implements PersistentAction {
    public LabelAction(String displayName) {
        throw new UnsupportedOperationException("declaration only");
    }

    @Override
    public String getIconFileName() {
        throw new UnsupportedOperationException("declaration only");
    }

    @Override
    public String getDisplayName() {
        throw new UnsupportedOperationException("declaration only");
    }

    @Override
    public String getUrlName() {
        throw new UnsupportedOperationException("declaration only");
    }
}
