package org.jenkinsci.plugins.pipeline.modeldefinition.withscript;

import hudson.model.Descriptor;

public abstract class WithScriptDescriptor<T extends WithScriptDescribable<T>> extends Descriptor<T> {
    protected WithScriptDescriptor() {
        throw new UnsupportedOperationException("declaration only");
    }
}
