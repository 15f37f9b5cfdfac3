package io.jenkins.plugins.wrenn.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the global configuration's forms say about a value, in the user's words. */
class ConfigurationWordingTest {
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

    @Test
    void theCapsuleLimitsReadAsSentences() {
        assertNull(WrennCapsulesConfiguration.maxCapsulesProblem(""), "empty is no limit");
        assertNull(WrennCapsulesConfiguration.maxCapsulesProblem(" 4 "));
        for (String bad : new String[] {"-1", "four"}) {
            assertEquals(
                    "Maximum capsules at once must be a whole number, 1 or more, or empty for no limit.",
                    WrennCapsulesConfiguration.maxCapsulesProblem(bad));
        }
        assertNull(WrennCapsulesConfiguration.retentionProblem("24"));
        for (String bad : new String[] {"0", "", null, "a day"}) {
            assertEquals(
                    "The retention of kept capsules must be a whole number of hours, 1 or more.",
                    WrennCapsulesConfiguration.retentionProblem(bad));
        }
    }
}
