package hudson.init;

public enum InitMilestone {
    STARTED,
    JOB_LOADED,
    COMPLETED
}
