package org.jenkinsci.plugins.durabletask.executors;

import hudson.slaves.CloudRetentionStrategy;

public final class OnceRetentionStrategy extends CloudRetentionStrategy {
    public OnceRetentionStrategy(int idleMinutes) {
        super(idleMinutes);
    }
}
