package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.Signal;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Stops a remote process the way an abort should: SIGTERM, then SIGKILL once the grace period is
 * over. It runs on its own thread under a deadline, so the caller is back within seconds even when
 * the server does not answer.
 */
final class RemoteStop {

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
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
            try {
                String selector = Long.toString(pid);
                kill(capsuleId, selector, Signal.SIGTERM);
                if (!awaitEnd(capsuleId, pid, ended)) {
                    note.accept(Messages.Note_SigkillAfterGrace(
                            Long.toString(pid), Long.toString(grace.toSeconds())));
                    kill(capsuleId, selector, Signal.SIGKILL);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            stopping.get(grace.plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            note.accept(Messages.Note_StopUnconfirmed(Long.toString(pid), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void kill(String capsuleId, String selector, Signal signal) throws InterruptedException {
        try {
            client.killProcess(capsuleId, selector, signal);
        } catch (WrennApiException e) {
            // Not found: it ended on its own in the meantime, which is what we wanted.
        }
    }

    private boolean awaitEnd(String capsuleId, long pid, BooleanSupplier ended) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < deadline) {
            if (ended.getAsBoolean()) {
                return true;
            }
            try {
                if (client.listProcesses(capsuleId).stream().noneMatch(p -> p.pid() == pid)) {
                    return true;
                }
            } catch (WrennApiException e) {
                // Keep waiting; SIGKILL follows at the deadline either way.
            }
            Thread.sleep(100);
        }
        return false;
    }
}
