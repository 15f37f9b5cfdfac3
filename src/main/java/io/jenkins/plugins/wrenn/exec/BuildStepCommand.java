package io.jenkins.plugins.wrenn.exec;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The freestyle build step's fields as one run, built so that no build variable ever becomes
 * shell code. In shell mode the command line goes to the capsule as written; the build variables
 * it names ({@code $NAME} or {@code ${NAME}}) travel as environment variables of the process, so
 * the capsule's shell expands them as data, as Jenkins' own <em>Execute shell</em> does. Only the
 * variables the line names are passed (the build's environment holds the node's own variables,
 * secrets among them, which do not belong in a capsule), never one of {@link #CAPSULE_OWN}, and
 * the step's own environment lines win over them.
 *
 * <p>Where expanding is safe it still happens: the program and its arguments in program form
 * (each stays one argument, no shell reads it), the values of the environment lines and the
 * working directory (both sent as data). Lines are told apart before anything is expanded, so a
 * value with line breaks stays one argument or one variable's value.
 *
 * @param command the shell line, or the program in program form
 * @param shell whether {@code command} is a shell line
 * @param args program form: the arguments, one per line
 * @param envs {@code NAME=VALUE} lines
 * @param cwd the working directory, or null
 * @param timeoutSeconds 0 for no limit
 */
public record BuildStepCommand(
        String command, boolean shell, String args, String envs, String cwd, int timeoutSeconds) {

    /**
     * Variables that describe the machine a process runs on rather than the build: the capsule sets
     * its own, and a build variable of the same name (the controller's {@code HOME}, say) never
     * replaces them. So do the locale's {@code LC_*}.
     */
    static final Set<String> CAPSULE_OWN = Set.of(
            "HOME",
            "PATH",
            "PWD",
            "OLDPWD",
            "SHELL",
            "USER",
            "LOGNAME",
            "HOSTNAME",
            "TMPDIR",
            "TERM",
            "LANG",
            "LANGUAGE",
            "TZ",
            "MAIL",
            "SHLVL",
            "IFS",
            "PS1",
            "PS2",
            "PS4",
            "ENV",
            "BASH_ENV",
            "CDPATH",
            "LD_LIBRARY_PATH",
            "LD_PRELOAD");

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)");

    /**
     * The run in the capsule.
     *
     * @param buildVariables the build's environment (names as Jenkins spells them)
     * @param expand expands build variables in a text, as Jenkins does ({@code EnvVars.expand})
     * @throws IllegalArgumentException naming the field that is wrong
     */
    public ExecutionSpec spec(String capsuleId, Map<String, String> buildVariables, UnaryOperator<String> expand) {
        Map<String, String> environment = new LinkedHashMap<>();
        Command run;
        if (shell) {
            environment.putAll(named(command, buildVariables));
            run = Command.shell(command);
        } else {
            String program = expanded(expand, command);
            // Split as written, then expanded: a value with line breaks stays one argument. The log
            // shows it as written: an expanded value may be a secret.
            run = Command.program(
                            program == null ? "" : program.strip(),
                            lines(args).stream().map(expand).toList())
                    .asWritten(command.strip(), lines(args));
        }
        // Parsed as written, then only the values expanded: a value with line breaks can add no
        // variable (PATH, LD_PRELOAD, PERL5OPT, ...), and no name is a parameter's to choose.
        EnvironmentLines.parse(envs).forEach((name, value) -> environment.put(name, expand.apply(value)));
        return new ExecutionSpec(
                capsuleId,
                run,
                environment,
                expanded(expand, cwd),
                timeoutSeconds > 0 ? Duration.ofSeconds(timeoutSeconds) : null,
                false,
                null);
    }

    /**
     * The build variables a shell line names, by the exact name it uses, without the capsule's
     * own ({@link #CAPSULE_OWN}).
     */
    static Map<String, String> named(String line, Map<String, String> buildVariables) {
        // Jenkins' environment ignores case on lookup; the shell does not.
        Map<String, String> exact = new HashMap<>(buildVariables);
        Map<String, String> named = new LinkedHashMap<>();
        Matcher m = REFERENCE.matcher(line);
        while (m.find()) {
            String name = m.group(1);
            String value = exact.get(name);
            if (value != null && !CAPSULE_OWN.contains(name) && !name.startsWith("LC_")) {
                named.put(name, value);
            }
        }
        return named;
    }

    private static String expanded(UnaryOperator<String> expand, String text) {
        return text == null ? null : expand.apply(text);
    }

    private static List<String> lines(String text) {
        return text == null
                ? List.of()
                : Arrays.stream(text.split("\\R", -1)).filter(s -> !s.isEmpty()).toList();
    }
}
