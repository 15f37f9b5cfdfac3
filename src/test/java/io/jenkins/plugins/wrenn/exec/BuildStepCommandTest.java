package io.jenkins.plugins.wrenn.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The freestyle step's run: a build parameter reaches a shell line as data, never as code. */
class BuildStepCommandTest {

    static final String INJECTION = "x\"; echo INJECTED; echo \"";

    /** A parameter value with line breaks, as a text parameter (or any string parameter by the API) holds. */
    static final String MULTILINE = "notes\nPATH=/tmp/evil\nPERL5OPT=-Mevil";

    /** A build's environment as Jenkins holds it: names found whatever their case. */
    static Map<String, String> build() {
        Map<String, String> env = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        env.put("BRANCH", INJECTION);
        env.put("BUILD_NUMBER", "7");
        env.put("HOME", "/var/jenkins_home");
        env.put("PATH", "/opt/controller/bin:/usr/bin");
        env.put("LC_ALL", "C");
        env.put("AWS_SECRET_ACCESS_KEY", "s3cr3t-from-the-agent-environment");
        env.put("WORKDIR", "/workspace/app");
        env.put("MULTILINE", MULTILINE);
        return env;
    }

    /** {@code $NAME} and {@code ${NAME}} replaced as {@code EnvVars.expand} does; others left as they are. */
    static final UnaryOperator<String> EXPAND = text -> {
        Matcher m = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)}?").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = build().get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
        }
        return m.appendTail(out).toString();
    };

    @Test
    void aShellLineGoesAsWrittenAndOnlyTheVariablesItNamesTravelAsData() {
        String line = "git checkout \"$BRANCH\" && echo ${BUILD_NUMBER} $HOME $PATH $LC_ALL $branch $UNSET";
        ExecutionSpec spec = new BuildStepCommand(line, true, null, null, null, 0).spec("cl-1", build(), EXPAND);

        assertEquals(Command.shell(line), spec.command(), "the line is not expanded");
        // The capsule's own HOME, PATH and locale stay its own; a secret not named is not passed;
        // $branch is another variable to the shell.
        assertEquals(Map.of("BRANCH", INJECTION, "BUILD_NUMBER", "7"), spec.envs());
    }

    @Test
    void theStepsOwnEnvironmentLinesWinAndTheirValuesAndTheDirectoryAreExpanded() {
        ExecutionSpec spec = new BuildStepCommand(
                        "echo \"$BRANCH\" \"$HOME\"", true, null, "BRANCH=main\nHOME=$WORKDIR", "$WORKDIR", 30)
                .spec("cl-1", build(), EXPAND);
        assertEquals(Map.of("BRANCH", "main", "HOME", "/workspace/app"), spec.envs());
        assertEquals("/workspace/app", spec.cwd());
        assertEquals(Duration.ofSeconds(30), spec.timeout());
    }

    @Test
    void aProgramAndItsArgumentsAreExpandedEachStayingOneArgument() {
        ExecutionSpec spec =
                new BuildStepCommand("git", false, "checkout\n$BRANCH\n", null, null, 0).spec("cl-1", build(), EXPAND);
        assertEquals("git", spec.command().program());
        assertEquals(List.of("checkout", INJECTION), spec.command().args());
        assertEquals(Map.of(), spec.envs());
    }

    @Test
    void theLogShowsAProgramAndItsArgumentsAsWrittenNeverAnExpandedValue() {
        ExecutionSpec spec = new BuildStepCommand(
                        "deploy", false, "--key\n$AWS_SECRET_ACCESS_KEY\n--to\n${WORKDIR}", null, null, 0)
                .spec("cl-1", build(), EXPAND);
        assertEquals(
                List.of("--key", "s3cr3t-from-the-agent-environment", "--to", "/workspace/app"),
                spec.command().args());
        assertEquals(
                "deploy --key $AWS_SECRET_ACCESS_KEY --to ${WORKDIR}",
                spec.command().display());
    }

    @Test
    @DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
    void theRunningHeaderQuotesTheCommandAsWritten() throws Exception {
        String key = "wrn_build_step_key_9b3f";
        try (WrennTestServer server = WrennTestServer.start(key);
                WrennClient client = WrennClient.builder(server.baseUrl(), key).build();
                DurableExecution engine = new DurableExecution(client, key, Duration.ofSeconds(1), null, c -> "")) {
            ExecutionSpec spec = new BuildStepCommand("/bin/echo", false, "$AWS_SECRET_ACCESS_KEY", null, null, 0)
                    .spec(server.createCapsule(), build(), EXPAND);
            DurableExecutionTest.Log log = new DurableExecutionTest.Log();

            ExecOutcome outcome = engine.start(spec, log, null).outcome().get(60, TimeUnit.SECONDS);

            assertTrue(outcome.succeeded(), log.text());
            String header = log.text().lines().findFirst().orElseThrow();
            assertEquals("[wrenn] Running \"/bin/echo $AWS_SECRET_ACCESS_KEY\" in capsule " + spec.capsuleId(), header);
        }
    }

    @Test
    void aValueWithLineBreaksStaysTheValueOfItsOwnEnvironmentLine() {
        ExecutionSpec spec = new BuildStepCommand("true", true, null, "NOTES=$MULTILINE\nLEVEL=1", null, 0)
                .spec("cl-1", build(), EXPAND);
        // Not three more variables, PATH and PERL5OPT among them, that the parameter's author chose.
        assertEquals(Map.of("NOTES", MULTILINE, "LEVEL", "1"), spec.envs());
    }

    @Test
    void aValueWithLineBreaksStaysOneArgument() {
        ExecutionSpec spec = new BuildStepCommand("git", false, "log\n--grep\n$MULTILINE", null, null, 0)
                .spec("cl-1", build(), EXPAND);
        assertEquals(List.of("log", "--grep", MULTILINE), spec.command().args());
    }

    @Test
    void theNameOfAnEnvironmentLineIsNeverExpanded() {
        // A name is the job's, not a parameter's to choose: the line is refused as written.
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new BuildStepCommand("true", true, null, "A_$WORKDIR=x", null, 0).spec("cl-1", build(), EXPAND));
        assertTrue(e.getMessage().contains("'A_$WORKDIR'"), e.getMessage());
    }

    @Test
    @DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
    void aParameterInAnEnvironmentLineSetsNoOtherVariableInTheCapsule() throws Exception {
        String key = "wrn_build_step_key_7c2a";
        try (WrennTestServer server = WrennTestServer.start(key);
                WrennClient client = WrennClient.builder(server.baseUrl(), key).build();
                DurableExecution engine = new DurableExecution(client, key, Duration.ofSeconds(1), null, c -> "")) {
            ExecutionSpec spec = new BuildStepCommand(
                            "echo \"perl5opt=${PERL5OPT:-unset}\"", true, null, "NOTES=$MULTILINE", null, 0)
                    .spec(server.createCapsule(), build(), EXPAND);
            DurableExecutionTest.Log log = new DurableExecutionTest.Log();

            ExecOutcome outcome = engine.start(spec, log, null).outcome().get(60, TimeUnit.SECONDS);

            assertTrue(outcome.succeeded(), log.text());
            String output = DurableExecutionTest.output(log);
            assertTrue(output.contains("perl5opt=unset\n"), output);
        }
    }

    @Test
    @DisabledOnOs(value = OS.WINDOWS, disabledReason = "the test server runs commands through /bin/sh")
    void theInjectionPrintsLiterallyInTheCapsule() throws Exception {
        String key = "wrn_build_step_key_4d1e";
        try (WrennTestServer server = WrennTestServer.start(key);
                WrennClient client = WrennClient.builder(server.baseUrl(), key).build();
                DurableExecution engine = new DurableExecution(client, key, Duration.ofSeconds(1), null, c -> "")) {
            ExecutionSpec spec = new BuildStepCommand("echo \"branch=$BRANCH\"", true, null, null, null, 0)
                    .spec(server.createCapsule(), build(), EXPAND);
            DurableExecutionTest.Log log = new DurableExecutionTest.Log();

            ExecOutcome outcome = engine.start(spec, log, null).outcome().get(60, TimeUnit.SECONDS);

            assertTrue(outcome.succeeded(), log.text());
            String output = DurableExecutionTest.output(log);
            assertTrue(output.contains("branch=" + INJECTION + "\n"), output);
            assertFalse(output.lines().anyMatch("INJECTED"::equals), output);
        }
    }
}
