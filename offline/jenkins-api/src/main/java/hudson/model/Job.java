package hudson.model;

import hudson.util.RunList;

public abstract class Job<JobT extends Job<JobT, RunT>, RunT extends Run<JobT, RunT>> implements Item {
    public RunList<RunT> getBuilds() {
        throw new UnsupportedOperationException("declaration only");
    }

    public RunT getBuildByNumber(int n) {
        throw new UnsupportedOperationException("declaration only");
    }

    public RunT getLastCompletedBuild() {
        throw new UnsupportedOperationException("declaration only");
    }
}
