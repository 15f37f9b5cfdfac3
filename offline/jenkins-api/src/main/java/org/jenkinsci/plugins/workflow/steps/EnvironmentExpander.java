package org.jenkinsci.plugins.workflow.steps;

import hudson.EnvVars;
import java.io.IOException;
import java.io.Serializable;
import java.util.Map;

public abstract class EnvironmentExpander implements Serializable {
    private static final long serialVersionUID = 1L;

    public abstract void expand(EnvVars env) throws IOException, InterruptedException;

    public static native EnvironmentExpander constant(Map<String, String> env);

    public static native EnvironmentExpander merge(EnvironmentExpander original, EnvironmentExpander subsequent);
}
