package org.jenkinsci.plugins.pipeline.modeldefinition.withscript;

import hudson.model.AbstractDescribableImpl;
import java.io.Serializable;

public abstract class WithScriptDescribable<T extends WithScriptDescribable<T>> extends AbstractDescribableImpl<T>
        implements Serializable {}
