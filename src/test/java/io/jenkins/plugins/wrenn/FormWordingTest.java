package io.jenkins.plugins.wrenn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What forms say about a value, in the user's words rather than the client's. */
class FormWordingTest {

    @Test
    void capsuleIdsAreCheckedOnlyForTheirShape() {
        assertNull(FormChecks.capsuleProblem(""), "empty is not flagged before any input");
        assertNull(FormChecks.capsuleProblem(null));
        assertNull(FormChecks.capsuleProblem("${CAPSULE}"), "variables are left to build time");
        assertNull(FormChecks.capsuleProblem(" cl-abc "));
        String problem = FormChecks.capsuleProblem("cl a/b");
        assertTrue(problem.startsWith("A capsule id has no '/' and no spaces"), problem);
        // They would name another path of the API: the same message as any malformed id.
        assertEquals(problem, FormChecks.capsuleProblem(".."));
        assertEquals(problem, FormChecks.capsuleProblem("."));
    }
}
