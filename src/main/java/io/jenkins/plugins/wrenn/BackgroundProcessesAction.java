package io.jenkins.plugins.wrenn;

import hudson.model.InvisibleAction;
import hudson.model.Run;
import java.util.ArrayList;
import java.util.List;

/**
 * Remembers the background processes a build started, so that those it did not stop itself are
 * stopped when it ends. Kept with the build; shows nothing in the UI.
 */
public class BackgroundProcessesAction extends InvisibleAction {

    /** One process a build started. */
    public static final class Entry {
        private final String capsule;
        private final long pid;
        private final String tag;
        private final String credentialsId;
        private final boolean keepAlive;
        private boolean stopped;

        Entry(String capsule, long pid, String tag, String credentialsId, boolean keepAlive) {
            this.capsule = capsule;
            this.pid = pid;
            this.tag = tag;
            this.credentialsId = credentialsId;
            this.keepAlive = keepAlive;
        }

        public String getCapsule() {
            return capsule;
        }

        public long getPid() {
            return pid;
        }

        public String getTag() {
            return tag;
        }

        public String getCredentialsId() {
            return credentialsId;
        }

        public boolean isKeepAlive() {
            return keepAlive;
        }

        public boolean isStopped() {
            return stopped;
        }

        boolean matches(String capsuleId, String selector) {
            return capsule.equals(capsuleId) && (selector.equals(tag) || selector.equals(Long.toString(pid)));
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    /** The build's record, added on first use. */
    static synchronized BackgroundProcessesAction of(Run<?, ?> run) {
        BackgroundProcessesAction action = run.getAction(BackgroundProcessesAction.class);
        if (action == null) {
            action = new BackgroundProcessesAction();
            run.addAction(action);
        }
        return action;
    }

    synchronized void started(String capsule, long pid, String tag, String credentialsId, boolean keepAlive) {
        entries.add(new Entry(capsule, pid, tag, credentialsId, keepAlive));
    }

    synchronized void stopped(String capsule, String selector) {
        for (Entry e : entries) {
            if (e.matches(capsule, selector)) {
                e.stopped = true;
            }
        }
    }

    /** The processes still to stop at the end of the build. */
    synchronized List<Entry> leftOver() {
        List<Entry> left = new ArrayList<>();
        for (Entry e : entries) {
            if (!e.stopped && !e.keepAlive) {
                left.add(e);
            }
        }
        return left;
    }
}
