package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hudson.AbortException;
import io.jenkins.plugins.wrenn.api.Signal;
import io.jenkins.plugins.wrenn.exec.ExecOutcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Pipeline steps' option rules; no Jenkins needed to check them. */
class StepOptionsTest {

    static WrennExecStep exec() {
        return new WrennExecStep("cl-abc", "pytest");
    }

    static String refusal(WrennExecStep step) {
        return assertThrows(IllegalArgumentException.class, step::checkOptions).getMessage();
    }

    @Test
    void theMinimalFormIsValid() {
        exec().checkOptions();
    }

    @Test
    void returnStdoutAndReturnStatusExcludeEachOther() {
        WrennExecStep step = exec();
        step.setReturnStdout(true);
        step.setReturnStatus(true);
        assertTrue(refusal(step).startsWith("returnStdout and returnStatus"), refusal(step));
    }

    @Test
    void backgroundRefusesForegroundOptions() {
        WrennExecStep step = exec();
        step.setBackground(true);
        step.setTimeout(5);
        assertTrue(refusal(step).startsWith("background:"), refusal(step));
    }

    @Test
    void backgroundOptionsNeedBackground() {
        WrennExecStep tagged = exec();
        tagged.setTag("web");
        assertTrue(refusal(tagged).startsWith("tag, waitFor"), refusal(tagged));
        WrennExecStep waiting = exec();
        waiting.setWaitFor("Listening");
        assertTrue(refusal(waiting).startsWith("tag, waitFor"), refusal(waiting));
        WrennExecStep kept = exec();
        kept.setKeepAlive(true);
        assertTrue(refusal(kept).startsWith("tag, waitFor"), refusal(kept));
    }

    @Test
    void missingCapsuleOrCommandIsNamed() {
        // The capsule may come from an enclosing wrennCapsule block: it is checked when the step runs.
        new WrennExecStep(" ", "x").checkOptions();
        AbortException noCapsule =
                assertThrows(AbortException.class, () -> WrennCapsuleContext.targetIn(null, " ", null));
        assertTrue(noCapsule.getMessage().startsWith("capsule:"), noCapsule.getMessage());
        assertTrue(refusal(new WrennExecStep("cl-a", " ")).startsWith("cmd:"));
    }

    @Test
    void argsMeanProgramFormWithoutAShell() {
        WrennExecStep step = exec();
        assertEquals(List.of("-c", "pytest"), step.command().args());
        step.setArgs(List.of("-m", "pytest", "two words"));
        assertEquals("pytest", step.command().program());
        assertEquals(List.of("-m", "pytest", "two words"), step.command().args());
    }

    @Test
    void aNullArgumentIsRefusedNamingArgsAndItsPlace() {
        WrennExecStep step = exec();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> step.setArgs(java.util.Arrays.asList("-m", null)));
        assertEquals(
                "args: argument 2 is null: give every argument as text, such as args: ['-m', 'pytest'].",
                e.getMessage());
    }

    @Test
    void theStepsViewShowsTheCommandAsArgumentsAndTheLabelGoesToTheGraph() {
        assertEquals("pytest", WrennExecStep.displayArguments(Map.of("cmd", "pytest", "label", "Unit tests")));
        assertNull(WrennExecStep.displayArguments(Map.of()));
    }

    @Test
    void theStepsViewShowsWhichProcessWrennKillStops() {
        assertEquals("tag web", WrennKillStep.displayArguments(Map.of("capsule", "cl-abc", "tag", "web")));
        assertEquals("pid 42", WrennKillStep.displayArguments(Map.of("capsule", "cl-abc", "pid", 42)));
        assertEquals("pid 42", WrennKillStep.displayArguments(Map.of("pid", 42L, "signal", "SIGTERM")));
        assertEquals("tag web, SIGKILL", WrennKillStep.displayArguments(Map.of("tag", "web", "signal", "SIGKILL")));
        assertNull(WrennKillStep.displayArguments(Map.of("capsule", "cl-abc")));
    }

    @Test
    void aLongLabelIsCutAtTheLengthShShows() {
        assertEquals("Unit tests", WrennExecStep.graphLabel("Unit tests"));
        String longLabel = "x".repeat(WrennExecStep.MAX_LABEL_LENGTH) + "cut";
        assertEquals("x".repeat(100), WrennExecStep.graphLabel(longLabel));
    }

    /**
     * The step as a Jenkinsfile's {@code envs: [...]} makes it: the descriptor's list form, each
     * element then bound to a variable as structs binds it, by its constructor's name and value.
     */
    static WrennExecStep withEnvs(Map<String, Object> envs) {
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("cmd", "pytest");
        arguments.put("envs", envs);
        Map<String, Object> described = WrennEnvVar.listForm(arguments);
        assertEquals("pytest", described.get("cmd"));
        List<WrennEnvVar> variables = new ArrayList<>();
        for (Object element : (List<?>) described.get("envs")) {
            Map<?, ?> fields = (Map<?, ?>) element;
            variables.add(new WrennEnvVar((String) fields.get("name"), (String) fields.get("value")));
        }
        WrennExecStep step = exec();
        step.setEnvs(variables);
        return step;
    }

    @Test
    void envsNumbersBooleansAndGroovyTextBecomeText() {
        Map<String, Object> envs = new LinkedHashMap<>();
        envs.put("PORT", 8080);
        envs.put("DEBUG", true);
        envs.put("RATIO", new BigDecimal("1E+3"));
        envs.put("SIZE", 2.5d);
        envs.put("URL", new StringBuilder("http://example")); // stands in for a GString: a CharSequence
        envs.put("NAME", "plain");
        WrennExecStep step = withEnvs(envs);
        step.checkOptions();
        assertEquals(
                Map.of(
                        "PORT", "8080",
                        "DEBUG", "true",
                        "RATIO", "1000",
                        "SIZE", "2.5",
                        "URL", "http://example",
                        "NAME", "plain"),
                step.environment());
        assertEquals(
                List.of("PORT", "DEBUG", "RATIO", "SIZE", "URL", "NAME"),
                List.copyOf(step.environment().keySet()));
    }

    @Test
    void envsWithANullValueAnEmptyNameOrAListAreRefusedNamingTheVariable() {
        Map<String, Object> nullValue = new LinkedHashMap<>();
        nullValue.put("TOKEN", null);
        assertEquals(
                "The environment variable TOKEN in envs has no value (null): give it text, a number or true/false.",
                refusal(withEnvs(nullValue)));
        assertEquals(
                "A variable in envs has an empty name: give each variable a name.",
                refusal(withEnvs(Map.of(" ", "x"))));
        // A list cannot wait for the step's start: the variable takes text only.
        assertEquals(
                "The environment variable PATHS in envs has a value of type ArrayList: give it text, a number or"
                        + " true/false.",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> withEnvs(Map.of("PATHS", new ArrayList<>(List.of("a", "b")))))
                        .getMessage());
    }

    @Test
    void envsGivenAsAStringMapStillWork() {
        assertEquals(Map.of("A", "1"), withEnvs(Map.of("A", "1")).environment());
        assertEquals(Map.of(), exec().environment());
    }

    @Test
    void envsAlreadyGivenAsAListOfVariablesPassUnchanged() {
        List<Map<String, Object>> list = List.of(Map.of("name", "A", "value", "1"));
        Map<String, Object> arguments = Map.of("envs", list);
        assertEquals(arguments, WrennEnvVar.listForm(arguments));
        assertEquals(Map.of("cmd", "x"), WrennEnvVar.listForm(Map.of("cmd", "x")));
    }

    @Test
    void aSnippetWritesTheVariablesAsTheMapAJenkinsfileGivesInNameOrder() {
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put(
                "envs", List.of(Map.of("name", "PORT", "value", "8080"), Map.of("name", "DEBUG", "value", "true")));
        arguments.put("cmd", "serve");
        arguments.put("capsule", "cl-abc");
        Map<String, Object> written =
                WrennEnvVar.scriptForm(arguments, v -> v instanceof Map<?, ?> m ? fields(m) : null);
        assertEquals(List.of("capsule", "cmd", "envs"), List.copyOf(written.keySet()));
        Map<?, ?> envs = (Map<?, ?>) written.get("envs");
        assertEquals(List.of("PORT", "DEBUG"), List.copyOf(envs.keySet()));
        assertEquals("8080", envs.get("PORT"));
    }

    @Test
    void aSnippetKeepsTheListWhenNoMapCanSayIt() {
        List<Object> twice = List.of(Map.of("name", "A", "value", "1"), Map.of("name", "A", "value", "2"));
        Map<String, Object> written =
                WrennEnvVar.scriptForm(Map.of("envs", twice), v -> v instanceof Map<?, ?> m ? fields(m) : null);
        assertEquals(twice, written.get("envs"));
        List<Object> notVariables = List.of("A=1");
        assertEquals(
                notVariables,
                WrennEnvVar.scriptForm(Map.of("envs", notVariables), v -> v instanceof Map<?, ?> m ? fields(m) : null)
                        .get("envs"));
    }

    private static Map<String, ?> fields(Map<?, ?> m) {
        Map<String, Object> fields = new LinkedHashMap<>();
        m.forEach((k, v) -> fields.put((String) k, v));
        return fields;
    }

    @Test
    void aVariableNeverShowsItsValueInText() {
        assertEquals("WrennEnvVar[TOKEN]", new WrennEnvVar(" TOKEN ", "s3cr3t").toString());
        assertEquals(new WrennEnvVar("A", "1"), new WrennEnvVar("A ", "1"));
    }

    static final UnaryOperator<String> MASK_KEY = text -> text.replace("wrn_key", "****");

    static String printed(ByteArrayOutputStream log) {
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    void returnStdoutWithANonZeroExitWritesTheOutputToTheLogBeforeFailing() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        AbortException failure = assertThrows(
                AbortException.class,
                () -> WrennExecStep.result(
                        new ExecOutcome(2, "partial result\nkey wrn_key"),
                        true,
                        false,
                        new PrintStream(log, true, StandardCharsets.UTF_8),
                        MASK_KEY));
        assertEquals("The command exited with code 2.", failure.getMessage());
        assertEquals("partial result\nkey ****\n", printed(log));
    }

    @Test
    void returnStdoutOnSuccessReturnsTheRawTextAndLogsNothing() throws AbortException {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        assertEquals(
                "key wrn_key\n", WrennExecStep.result(new ExecOutcome(0, "key wrn_key\n"), true, false, out, MASK_KEY));
        assertEquals(3, WrennExecStep.result(new ExecOutcome(3, null), false, true, out, MASK_KEY));
        assertNull(WrennExecStep.result(new ExecOutcome(0, null), false, false, out, MASK_KEY));
        assertEquals("", printed(log));
        assertThrows(
                AbortException.class,
                () -> WrennExecStep.result(new ExecOutcome(1, null), false, false, out, MASK_KEY));
        assertEquals("", printed(log));
    }

    @Test
    void formRowsBecomeTheArgumentsAndTheVariables() {
        // One row arrives as an object, several as an array; empty rows are dropped.
        assertEquals(List.of("-u"), StepFormRows.args(Map.of("arg", "-u")));
        assertEquals(
                List.of("-u", "two words"),
                StepFormRows.args(List.of(Map.of("arg", "-u"), Map.of("arg", ""), Map.of("arg", "two words"))));
        assertEquals(List.of(), StepFormRows.args(null));
        assertEquals(
                List.of(new WrennEnvVar("PORT", "8080")), StepFormRows.envs(Map.of("name", " PORT ", "value", "8080")));
        assertEquals(
                List.of(new WrennEnvVar("B", "2"), new WrennEnvVar("A", "")),
                StepFormRows.envs(List.of(
                        Map.of("name", "B", "value", "2"),
                        Map.of("name", "", "value", ""),
                        Map.of("name", "A", "value", ""))));
        assertEquals(List.of(), StepFormRows.envs(null));
    }

    @Test
    void aConfiguredStepsVariablesShowAsRows() {
        List<WrennEnvVar> envs = List.of(new WrennEnvVar("PORT", "8080"), new WrennEnvVar("EMPTY", null));
        List<StepFormRows.Variable> rows = StepFormRows.variables(envs);
        assertEquals("PORT", rows.get(0).getName());
        assertEquals("8080", rows.get(0).getValue());
        assertEquals("", rows.get(1).getValue());
        assertTrue(StepFormRows.variables(null).isEmpty());
    }

    @Test
    void noLabelOfTheStepsFormHidesTextInMessageArguments() throws IOException {
        // In ${%Timeout (seconds)} Stapler reads "(seconds)" as message arguments and shows "Timeout ".
        String jelly;
        try (InputStream in = WrennExecStep.class.getResourceAsStream("WrennExecStep/config.jelly")) {
            jelly = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher key = Pattern.compile("\\$\\{%([^}]*)}").matcher(jelly);
        int keys = 0;
        while (key.find()) {
            keys++;
            assertTrue(!key.group(1).contains("("), "message arguments in " + key.group());
        }
        assertTrue(keys > 10, "found only " + keys + " labels");
    }

    @Test
    void killTakesExactlyOneOfTagAndPid() {
        WrennKillStep neither = new WrennKillStep("cl-a");
        assertTrue(assertThrows(IllegalArgumentException.class, neither::selector)
                .getMessage()
                .contains("exactly one of tag or pid"));
        WrennKillStep both = new WrennKillStep("cl-a");
        both.setTag("web");
        both.setPid(42);
        assertThrows(IllegalArgumentException.class, both::selector);
        WrennKillStep byPid = new WrennKillStep("cl-a");
        byPid.setPid(42);
        assertEquals("42", byPid.selector());
    }

    @Test
    void killRefusesATagThatWouldNameAnotherPathOfTheApi() {
        WrennKillStep step = new WrennKillStep("cl-a");
        step.setTag("..");
        assertEquals(
                "tag: '..' names no process; a tag is not . or ..",
                assertThrows(IllegalArgumentException.class, step::selector).getMessage());
    }

    @Test
    void killSignalDefaultsToSigtermAndRefusesOthers() {
        WrennKillStep step = new WrennKillStep("cl-a");
        assertEquals(Signal.SIGTERM, step.parsedSignal());
        step.setSignal("sigkill");
        assertEquals(Signal.SIGKILL, step.parsedSignal());
        step.setSignal("SIGHUP");
        assertEquals(
                "signal: 'SIGHUP' is not SIGTERM or SIGKILL",
                assertThrows(IllegalArgumentException.class, step::parsedSignal).getMessage());
    }

    @Test
    void fileStepPathsStayInsideTheWorkspace() throws Exception {
        assertEquals("reports/unit", WorkspaceFiles.insideWorkspace("into", "reports/unit"));
        assertEquals("a..b/c", WorkspaceFiles.insideWorkspace("dir", "a..b/c"));
        for (String outside : List.of("/etc", "../x", "a/../../x", "a\\..\\..\\x", "C:/Windows", "\\\\server\\share")) {
            AbortException e =
                    assertThrows(AbortException.class, () -> WorkspaceFiles.insideWorkspace("into", outside));
            assertTrue(e.getMessage().startsWith("into: '" + outside + "' leaves the workspace"), e.getMessage());
        }
    }
}
