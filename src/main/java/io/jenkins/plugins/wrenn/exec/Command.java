package io.jenkins.plugins.wrenn.exec;

import java.util.List;

/**
 * What to run: a program with exact arguments. The form is chosen explicitly, never guessed from
 * spaces in the text.
 *
 * @param program the program
 * @param args its arguments, passed as they are
 * @param written how the user wrote it, before any build variable was expanded, for log lines; null
 *     when it was written as it runs
 */
public record Command(String program, List<String> args, String written) {

    public Command {
        if (program == null || program.isBlank()) {
            throw new IllegalArgumentException("command: must not be empty");
        }
        args = args == null ? List.of() : List.copyOf(args);
    }

    /** A command written as it runs. */
    public Command(String program, List<String> args) {
        this(program, args, null);
    }

    /**
     * The same command, shown in log lines as the user wrote it: the program and arguments here
     * had build variables expanded into them, and a variable's value (a secret, say) is not the
     * log's to show.
     */
    public Command asWritten(String program, List<String> args) {
        return new Command(this.program, this.args, new Command(program, args).display());
    }

    /** A shell command line, run as {@code /bin/sh -c <line>} like the official SDK does. */
    public static Command shell(String line) {
        if (line == null || line.isBlank()) {
            throw new IllegalArgumentException("command: must not be empty");
        }
        return new Command("/bin/sh", List.of("-c", line));
    }

    /** A program run exactly, with no shell in between. */
    public static Command program(String program, List<String> args) {
        return new Command(program, args);
    }

    /** The command as the user would read it, for log lines. */
    public String display() {
        if (written != null) {
            return written;
        }
        if (program.equals("/bin/sh") && args.size() == 2 && args.get(0).equals("-c")) {
            return args.get(1);
        }
        StringBuilder text = new StringBuilder(program);
        for (String a : args) {
            text.append(' ').append(a.isEmpty() || a.chars().anyMatch(Character::isWhitespace) ? "'" + a + "'" : a);
        }
        return text.toString();
    }
}
