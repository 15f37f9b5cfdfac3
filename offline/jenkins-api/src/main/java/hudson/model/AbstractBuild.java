package hudson.model;

import java.util.Set;

public abstract class AbstractBuild<P extends AbstractProject<P, R>, R extends AbstractBuild<P, R>> extends Run<P, R> {

    public native Set<String> getSensitiveBuildVariables();
}
