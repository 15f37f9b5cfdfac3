package hudson.model;

import hudson.ExtensionPoint;

public abstract class PeriodicWork implements ExtensionPoint {
    protected static final long MIN = 1000 * 60;

    public abstract long getRecurrencePeriod();

    public native long getInitialDelay();
}
