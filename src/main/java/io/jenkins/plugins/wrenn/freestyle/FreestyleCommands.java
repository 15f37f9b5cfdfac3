package io.jenkins.plugins.wrenn.freestyle;

import hudson.init.InitMilestone;
import hudson.init.Initializer;
import hudson.model.Item;
import hudson.model.Run;
import io.jenkins.plugins.wrenn.DurableEngines;
import io.jenkins.plugins.wrenn.WrennCredentials;
import io.jenkins.plugins.wrenn.exec.DurableRun;
import io.jenkins.plugins.wrenn.exec.RunState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.Jenkins;

/**
 * The commands that freestyle builds are running, kept in a file in {@code JENKINS_HOME}. A
 * controller restart ends a freestyle build without ending its remote command; when Jenkins comes
 * back, the commands still listed are stopped, so none runs on with nobody to read it. A stop that
 * cannot be confirmed (the server unreachable, say) is tried again at the next start, a few times.
 */
public final class FreestyleCommands {

    private static final Logger LOGGER = Logger.getLogger(FreestyleCommands.class.getName());

    private static final String FILE = FreestyleCommands.class.getName() + ".txt";

    /** Starts of Jenkins at which a left-over command is tried before it is given up, logged. */
    static final int MAX_ATTEMPTS = 3;

    private FreestyleCommands() {}

    /** Records a freestyle build's command once its process is known. */
    static synchronized void running(Run<?, ?> build, String credentialsId, RunState state) {
        if (Jenkins.getInstanceOrNull() == null) {
            return;
        }
        List<String> lines = read();
        lines.add(String.join(
                "\t",
                build.getParent().getFullName(),
                credentialsId,
                state.capsuleId(),
                Long.toString(state.pid()),
                "0",
                state.controlPrefix()));
        write(lines);
    }

    /** Forgets a command that has ended or been stopped. */
    static synchronized void ended(RunState state) {
        if (Jenkins.getInstanceOrNull() == null) {
            // Jenkins is gone (a shutdown interrupted the build): the record stays for the next start.
            return;
        }
        List<String> lines = read();
        if (lines.removeIf(l -> l.endsWith("\t" + state.controlPrefix()))) {
            write(lines);
        }
    }

    /**
     * When Jenkins has loaded its jobs: stops the commands of freestyle builds that the restart
     * ended. Each record stays until its stop is confirmed, so that a Jenkins stopped again before
     * that still finds it.
     */
    @Initializer(after = InitMilestone.JOB_LOADED, fatal = false)
    public static synchronized void stopLeftOvers() {
        for (String line : read()) {
            try {
                stop(line);
            } catch (RuntimeException e) {
                // A damaged line, or a job or credentials that cannot be read: never stop Jenkins starting.
                LOGGER.log(Level.WARNING, "Cannot stop the command recorded as " + line, e);
                replace(line, null);
            }
        }
    }

    private static void stop(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 6) {
            throw new IllegalArgumentException("not a record of 6 fields");
        }
        String what = "process " + f[3] + " in capsule " + f[2] + " of a build of " + f[0];
        Item job = Jenkins.get().getItemByFullName(f[0]);
        String apiKey = job == null ? null : WrennCredentials.apiKeyForTest(job, f[1]);
        if (apiKey == null) {
            LOGGER.log(
                    Level.WARNING, "Cannot stop {0}: the job or its credentials {1} are gone", new Object[] {what, f[1]
                    });
            replace(line, null);
            return;
        }
        int attempt = Integer.parseInt(f[4]) + 1;
        RunState state = new RunState(f[2], f[5], Long.parseLong(f[3]), 0, 0, f[1], false, 0, 0);
        DurableEngines.forKey(apiKey).stopLeftOver(state).whenComplete((result, failure) -> {
            Object outcome = failure == null ? result : failure;
            if (failure == null && result == DurableRun.StopResult.GONE) {
                LOGGER.log(Level.INFO, "Stopped {0}, which a controller restart had left running", what);
                replace(line, null);
            } else if (attempt < MAX_ATTEMPTS) {
                LOGGER.log(
                        Level.WARNING,
                        "Could not confirm the stop of {0} ({1}); trying again at the next start of Jenkins",
                        new Object[] {what, outcome});
                f[4] = Integer.toString(attempt);
                replace(line, String.join("\t", f));
            } else {
                LOGGER.log(
                        Level.WARNING,
                        "Could not confirm the stop of {0} ({1}) after {2} starts of Jenkins; giving up: stop it by hand",
                        new Object[] {what, outcome, attempt});
                replace(line, null);
            }
        });
    }

    /** Replaces a record with another, or removes it (null); Jenkins gone leaves the file as it is. */
    private static synchronized void replace(String line, String with) {
        if (Jenkins.getInstanceOrNull() == null) {
            return;
        }
        List<String> lines = read();
        if (lines.remove(line)) {
            if (with != null) {
                lines.add(with);
            }
            write(lines);
        }
    }

    private static Path file() {
        return Jenkins.get().getRootDir().toPath().resolve(FILE);
    }

    private static List<String> read() {
        Path f = file();
        try {
            return Files.exists(f) ? new ArrayList<>(Files.readAllLines(f, StandardCharsets.UTF_8)) : new ArrayList<>();
        } catch (IOException e) {
            LOGGER.log(Level.WARNING, "Cannot read " + f, e);
            return new ArrayList<>();
        }
    }

    private static void write(List<String> lines) {
        Path f = file();
        Path tmp = f.resolveSibling(FILE + ".tmp");
        try {
            Files.write(tmp, lines, StandardCharsets.UTF_8);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOGGER.log(Level.WARNING, "Cannot write " + f, e);
        }
    }
}
