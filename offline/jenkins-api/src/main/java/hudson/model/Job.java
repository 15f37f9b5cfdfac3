package hudson.model;

import hudson.util.RunList;

public abstract class Job<JobT extends Job<JobT, RunT>, RunT extends Run<JobT, RunT>> implements Item {
    public native RunList<RunT> getBuilds();

    public native RunT getBuildByNumber(int n);

    public native RunT getLastCompletedBuild();
}
