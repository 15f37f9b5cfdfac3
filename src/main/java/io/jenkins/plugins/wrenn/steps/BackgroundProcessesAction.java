package io.jenkins.plugins.wrenn.steps;

import hudson.model.InvisibleAction;
import hudson.model.Run;
import hudson.model.Saveable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.RunAction2;

/**
 * Remembers the background processes a build started, so that those it did not stop itself are
 * stopped when it ends. Kept with the build and saved with it on every change, so the record is
 * current after a controller restart; shows nothing in the UI.
 *
 * <p>The list is copy-on-write: a change builds a new list under the lock and publishes it, and a
 * published list is never modified. Readers, including XStream when the build is saved from another
 * thread, always see a complete list without taking the lock.
 */
public class BackgroundProcessesAction extends InvisibleAction implements RunAction2 {

    private static final Logger LOGGER = Logger.getLogger(BackgroundProcessesAction.class.getName());

    /** One process a build started. Immutable: stopping it replaces the entry. */
    public static final class Entry {
        private final String capsule;
        private final long pid;
        private final String tag;
        private final String credentialsId;
        private final boolean keepAlive;
        private final boolean stopped;

        Entry(String capsule, long pid, String tag, String credentialsId, boolean keepAlive, boolean stopped) {
            this.capsule = capsule;
            this.pid = pid;
            this.tag = tag;
            this.credentialsId = credentialsId;
            this.keepAlive = keepAlive;
            this.stopped = stopped;
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

        Entry asStopped() {
            return new Entry(capsule, pid, tag, credentialsId, keepAlive, true);
        }
    }

    private volatile List<Entry> entries = new ArrayList<>();

    /** The build this record belongs to; set again after loading, as it is not stored. */
    private transient volatile Saveable owner;

    /** The build's record, added on first use. */
    static synchronized BackgroundProcessesAction of(Run<?, ?> run) {
        BackgroundProcessesAction action = run.getAction(BackgroundProcessesAction.class);
        if (action == null) {
            action = new BackgroundProcessesAction();
            run.addAction(action);
        }
        return action;
    }

    @Override
    public void onAttached(Run<?, ?> run) {
        attachTo(run);
    }

    @Override
    public void onLoad(Run<?, ?> run) {
        attachTo(run);
    }

    /** A record written before the list existed, or emptied by hand, reads as empty. */
    private Object readResolve() {
        if (entries == null) {
            entries = new ArrayList<>();
        }
        return this;
    }

    /** Ties the record to what saves it on change: the build, when added to it or loaded with it. */
    void attachTo(Saveable saveable) {
        owner = saveable;
    }

    void started(String capsule, long pid, String tag, String credentialsId, boolean keepAlive) {
        synchronized (this) {
            List<Entry> next = new ArrayList<>(entries);
            next.add(new Entry(capsule, pid, tag, credentialsId, keepAlive, false));
            entries = next;
        }
        save();
    }

    void stopped(String capsule, String selector) {
        boolean changed = false;
        synchronized (this) {
            List<Entry> next = new ArrayList<>(entries.size());
            for (Entry e : entries) {
                if (!e.stopped && e.matches(capsule, selector)) {
                    next.add(e.asStopped());
                    changed = true;
                } else {
                    next.add(e);
                }
            }
            entries = next;
        }
        if (changed) {
            save();
        }
    }

    /** Every process recorded, in the order started; a snapshot that later changes leave alone. */
    List<Entry> all() {
        return List.copyOf(entries);
    }

    /** The processes still to stop at the end of the build. */
    List<Entry> leftOver() {
        List<Entry> left = new ArrayList<>();
        for (Entry e : entries) {
            if (!e.stopped && !e.keepAlive) {
                left.add(e);
            }
        }
        return left;
    }

    private void save() {
        Saveable target = owner;
        if (target == null) {
            return;
        }
        try {
            target.save();
        } catch (IOException | RuntimeException e) {
            LOGGER.log(Level.WARNING, "Could not save the record of background processes of " + target, e);
        }
    }
}
