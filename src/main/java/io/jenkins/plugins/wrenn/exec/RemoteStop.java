package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.Signal;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Stops a background process the way an abort should: SIGTERM to its process group (the process
 * and everything it started), then SIGKILL once the grace period is over, through {@code stop.sh}
 * on every server generation. It runs on a thread of its own under a deadline, so the caller is
 * back within seconds even when the server does not answer; a signal the capsule refuses is said in
 * the log with the server's answer, never swallowed, and then sent through the server instead.
 */
final class RemoteStop {

    private static final Logger LOGGER = Logger.getLogger(RemoteStop.class.getName());

    /** How long after SIGKILL the group still gets to go. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(5);

    private final WrennClient client;
    private final Duration grace;

    RemoteStop(WrennClient client, Duration grace) {
        this.client = client;
        this.grace = grace;
    }

    /** @param note where to say what happened */
    void stop(String capsuleId, long pid, Consumer<String> note) {
        Thread stopping = Thread.ofVirtual()
                .name("Wrenn stop of process " + pid + " in " + capsuleId)
                .start(() -> {
                    try {
                        if (!signal(capsuleId, pid, Signal.SIGTERM, grace, note)) {
                            note.accept(Messages.Note_SigkillAfterGrace(
                                    Long.toString(pid), Long.toString(grace.toSeconds())));
                            signal(capsuleId, pid, Signal.SIGKILL, KILL_WAIT, note);
                        }
                    } catch (InterruptedException e) {
                        // The deadline below passed; the caller has said so.
                    }
                });
        Duration deadline = grace.plus(KILL_WAIT).plusSeconds(10);
        try {
            if (!stopping.join(deadline)) {
                stopping.interrupt();
                note.accept(Messages.Note_StopUnconfirmed(
                        Long.toString(pid), Messages.Note_NoAnswerWithin(Long.toString(deadline.toSeconds()))));
                LOGGER.log(
                        Level.WARNING,
                        "No confirmation within {0} s that process {1} in {2} was stopped",
                        new Object[] {deadline.toSeconds(), pid, capsuleId});
            }
        } catch (InterruptedException e) {
            stopping.interrupt();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sends the signal to the process's group and waits up to {@code wait} for the group to go.
     *
     * @return true when nothing of the group is left; false when it still runs, or the capsule could
     *     not tell (said in the log; the signal then goes through the server, to what it reaches)
     */
    private boolean signal(String capsuleId, long pid, Signal signal, Duration wait, Consumer<String> note)
            throws InterruptedException {
        try {
            return StopScript.send(
                            client, capsuleId, signal == Signal.SIGKILL ? "KILL" : "TERM", wait, Long.toString(pid))
                    .found()
                    .settled();
        } catch (WrennApiException e) {
            note.accept(Messages.Note_SignalFailed(signal.name(), Long.toString(pid), e.getMessage()));
            LOGGER.log(Level.WARNING, "Could not send " + signal + " to process " + pid + " in " + capsuleId, e);
        }
        try {
            client.processes().kill(capsuleId, Long.toString(pid), signal);
        } catch (WrennApiException e) {
            // Gone already (404), or refused too: the next step, or the caller's deadline, follows.
            LOGGER.log(Level.FINE, "The server did not send " + signal + " to process " + pid, e);
        }
        return false;
    }
}
