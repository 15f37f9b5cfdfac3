package io.jenkins.plugins.wrenn.exec;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A command whose process is recorded outside the controller's memory, so that a controller restart
 * that ends its build does not leave it running unseen (a freestyle build's command: a restart ends
 * the build, not the command). The record is made once the process is known, and dropped only once
 * the process is known to be gone: it ended, or a stop of it was confirmed. A stop that cannot be
 * confirmed (Jenkins shutting down, which lets go of its engines; the server out of reach) and a run
 * that failed without an exit code leave the record for the next start of Jenkins to act on.
 */
public final class RecordedCommand {

    /** Where the records are kept. */
    public interface Records {
        /** The command's process is known: record it. */
        void running(RunState state);

        /** The process is gone: forget it. */
        void gone(RunState state);
    }

    private final Records records;
    private final AtomicReference<RunState> recorded = new AtomicReference<>();

    public RecordedCommand(Records records) {
        this.records = records;
    }

    /** What to give {@link DurableExecution#start} as its state callback: records the process once. */
    public Consumer<RunState> onState() {
        return state -> {
            if (state.pid() > 0 && recorded.compareAndSet(null, state)) {
                records.running(state);
            }
        };
    }

    /**
     * Waits for the command's outcome. An interrupt (the build aborted) stops the command, waits for
     * the stop's bounded answer and is thrown again.
     *
     * @throws ExecutionException as {@link DurableRun#outcome()} ends
     */
    public ExecOutcome await(DurableRun command) throws InterruptedException, ExecutionException {
        boolean gone = false;
        try {
            ExecOutcome outcome = command.outcome().get();
            gone = true;
            return outcome;
        } catch (InterruptedException e) {
            try {
                gone = command.stop().get() == DurableRun.StopResult.GONE;
            } catch (ExecutionException | InterruptedException x) {
                // The engine has said in the log what it could not confirm.
            }
            throw e;
        } finally {
            RunState state = recorded.get();
            if (gone && state != null) {
                records.gone(state);
            }
        }
    }
}
