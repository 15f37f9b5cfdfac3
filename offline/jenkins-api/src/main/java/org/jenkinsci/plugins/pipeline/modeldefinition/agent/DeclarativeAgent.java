package org.jenkinsci.plugins.pipeline.modeldefinition.agent;

import hudson.ExtensionPoint;
import org.jenkinsci.plugins.pipeline.modeldefinition.withscript.WithScriptDescribable;

public abstract class DeclarativeAgent<A extends DeclarativeAgent<A>> extends WithScriptDescribable<A>
        implements ExtensionPoint {}
