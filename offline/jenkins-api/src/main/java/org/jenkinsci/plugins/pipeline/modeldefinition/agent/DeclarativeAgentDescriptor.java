package org.jenkinsci.plugins.pipeline.modeldefinition.agent;

import org.jenkinsci.plugins.pipeline.modeldefinition.withscript.WithScriptDescriptor;

public abstract class DeclarativeAgentDescriptor<A extends DeclarativeAgent<A>> extends WithScriptDescriptor<A> {
    public DeclarativeAgentDescriptor() {
        throw new UnsupportedOperationException("declaration only");
    }
}
