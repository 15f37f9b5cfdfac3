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

    @Test
    void aBadApiUrlGetsASentenceAboutTheField() {
        assertNull(WrennGlobalConfiguration.apiUrlProblem(""), "empty means the hosted service");
        assertNull(WrennGlobalConfiguration.apiUrlProblem("http://wrenn.internal:8080/api"));
        for (String bad : new String[] {"not a url", "ftp://host", "https://", "https://host/api?x=1"}) {
            String problem = WrennGlobalConfiguration.apiUrlProblem(bad);
            assertTrue(
                    problem != null && problem.startsWith("The API URL must be a web address"), bad + ": " + problem);
        }
    }

    @Test
    void aPlainHttpUrlToAnotherMachineIsAllowedWithAWarningAboutTheKey() {
        assertEquals(
                "With http:// the API key travels unencrypted to wrenn.internal, readable by anyone on the way; use"
                        + " https:// unless the network between Jenkins and the server is trusted.",
                WrennGlobalConfiguration.apiUrlWarning("http://wrenn.internal:8080/api"));
        for (String fine : new String[] {
            "", "https://api.wrenn.dev/api", "http://127.0.0.1:41234/api", "http://localhost/api", "http://[::1]:8/api"
        }) {
            assertNull(WrennGlobalConfiguration.apiUrlWarning(fine), fine);
        }
        assertNull(WrennGlobalConfiguration.apiUrlWarning("ftp://host"), "an error, not a warning");
    }

    @Test
    void anApiUrlWithAUserOrPasswordIsRefusedWithoutRepeatingIt() {
        for (String withUser : new String[] {"https://user:pw@host/api", "https://user@host", "http://:pw@host"}) {
            String problem = WrennGlobalConfiguration.apiUrlProblem(withUser);
            assertEquals(
                    "The API URL must not contain a user name or password (user:password@host): the API key goes in"
                            + " a Secret text credential, chosen as the default credentials.",
                    problem,
                    withUser);
        }
    }

    @Test
    void theConnectTimeoutIsAWholeNumberFromOne() {
        assertNull(WrennGlobalConfiguration.connectTimeoutProblem("1"));
        assertNull(WrennGlobalConfiguration.connectTimeoutProblem(" 30 "));
        for (String bad : new String[] {"0", "-5", "", "ten", null}) {
            assertEquals(
                    "The connect timeout must be a whole number of seconds, 1 or more.",
                    WrennGlobalConfiguration.connectTimeoutProblem(bad),
                    bad);
        }
    }
}
