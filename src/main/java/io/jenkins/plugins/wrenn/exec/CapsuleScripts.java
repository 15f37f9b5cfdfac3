package io.jenkins.plugins.wrenn.exec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/**
 * The POSIX shell scripts the engine runs in capsules, each kept as a resource file next to this
 * class ({@code wrapper.sh}, {@code follower.sh}, ...) so that it can be read, linted and tested as
 * shell. They are loaded once; what is sent is the file without its comment lines, blank lines and
 * indentation, which the shell does not need and the capsule's process list need not show.
 */
public final class CapsuleScripts {

    /** The wrapper every durable run's command runs under (see {@link DurableRun}). */
    static final String WRAPPER = load("wrapper.sh");

    /** Prints what the control files hold beyond given offsets, as they grow, until the run ends. */
    static final String FOLLOWER = load("follower.sh");

    /** Prints the exit status a run left and removes its control files. */
    static final String FINISH = load("finish.sh");

    /** Removes the control files of finished runs. */
    static final String REMOVE = load("remove.sh");

    /** Signals a process group (a run's command's, or a background process's) and waits for it to go. */
    static final String STOP = load("stop.sh");

    /** Waits for a gate file, then becomes the command, in a process group of its own. */
    static final String GATE = load("gate.sh");

    private CapsuleScripts() {}

    /** The wrapper's text as the engine sends it, for measuring it on its own (the benchmark). */
    public static String wrapper() {
        return WRAPPER;
    }

    static String load(String name) {
        try (InputStream in = CapsuleScripts.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .collect(Collectors.joining("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
