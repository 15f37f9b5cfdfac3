package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.Signal;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Stops a remote process the way an abort should: SIGTERM, then SIGKILL once the grace period is
 * over. It runs on a thread of its own under a deadline, so the caller is back within seconds even
 * when the server does not answer; a signal the server refuses is said in the log with the
 * server's answer, never swallowed.
 */
final class RemoteStop {

    private static final Logger LOGGER = Logger.getLogger(RemoteStop.class.getName());

    private final WrennClient client;
    private final Duration grace;

    RemoteStop(WrennClient client, Duration grace) {
        this.client = client;
        this.grace = grace;
    }

    /**
     * @param ended tells early that the process is gone (e.g. its stream saw the exit code)
     * @param note where to say what happened
     */
    void stop(String capsuleId, long pid, BooleanSupplier ended, Consumer<String> note) {
        Thread stopping = Thread.ofVirtual()
                .name("Wrenn stop of process " + pid + " in " + capsuleId)
                .start(() -> {
                    try {
                        if (!kill(capsuleId, pid, Signal.SIGTERM, note)) {
                            return;
                        }
                        if (!awaitEnd(capsuleId, pid, ended)) {
                            note.accept(Messages.Note_SigkillAfterGrace(
                                    Long.toString(pid), Long.toString(grace.toSeconds())));
                            kill(capsuleId, pid, Signal.SIGKILL, note);
                        }
                    } catch (InterruptedException e) {
                        // The deadline below passed; the caller has said so.
                    }
                });
        Duration deadline = grace.plusSeconds(10);
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
     * Sends the signal.
     *
     * @return false when the process had already ended, so nothing more needs doing; true when the
     *     signal was sent, or refused (said in the log: SIGKILL still follows a refused SIGTERM)
     */
    private boolean kill(String capsuleId, long pid, Signal signal, Consumer<String> note) throws InterruptedException {
        try {
            client.processes().kill(capsuleId, Long.toString(pid), signal);
            return true;
        } catch (WrennApiException e) {
            if (e.kind() == WrennApiException.Kind.NOT_FOUND) {
                // It ended on its own in the meantime, which is what was wanted.
                return false;
            }
            note.accept(Messages.Note_SignalFailed(signal.name(), Long.toString(pid), e.getMessage()));
            LOGGER.log(Level.WARNING, "Could not send " + signal + " to process " + pid + " in " + capsuleId, e);
            return true;
        }
    }

    private boolean awaitEnd(String capsuleId, long pid, BooleanSupplier ended) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < deadline) {
            if (ended.getAsBoolean()) {
                return true;
            }
            try {
                if (client.processes().list(capsuleId).stream().noneMatch(p -> p.pid() == pid)) {
                    return true;
                }
            } catch (WrennApiException e) {
                // Keep waiting; SIGKILL follows at the deadline either way.
                LOGGER.log(Level.FINE, "Could not list the processes of " + capsuleId, e);
            }
            Thread.sleep(100);
        }
        return false;
    }
}
