package io.jenkins.plugins.wrenn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.api.Signal;
import java.util.List;
import java.util.Map;
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
        assertTrue(refusal(new WrennExecStep(" ", "x")).startsWith("capsule:"));
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
    void theGraphShowsTheLabelElseTheCommand() {
        assertEquals("Unit tests", WrennExecStep.displayArguments(Map.of("cmd", "pytest", "label", "Unit tests")));
        assertEquals("pytest", WrennExecStep.displayArguments(Map.of("cmd", "pytest")));
        assertNull(WrennExecStep.displayArguments(Map.of()));
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
}
