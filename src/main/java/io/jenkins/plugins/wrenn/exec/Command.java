package io.jenkins.plugins.wrenn.exec;

import java.util.List;

/**
 * What to run: a program with exact arguments. The form is chosen explicitly, never guessed from
 * spaces in the text.
 *
 * @param program the program
 * @param args its arguments, passed as they are
 */
public record Command(String program, List<String> args) {

    public Command {
        if (program == null || program.isBlank()) {
            throw new IllegalArgumentException("command: must not be empty");
        }
        args = args == null ? List.of() : List.copyOf(args);
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
