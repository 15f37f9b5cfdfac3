package io.jenkins.plugins.wrenn.agents;

import java.time.Duration;

/**
 * What the agent in a capsule is started with.
 *
 * @param nodeName the agent's name in Jenkins
 * @param jenkinsUrl the controller's root URL as the capsule must reach it, ending in {@code /}
 * @param remoteRoot the agent's root directory in the capsule; a relative path is taken from the
 *     home directory of the capsule's user
 * @param connectTimeout how long the agent may take to connect once started
 * @param javaCommand the JVM to run the agent with: {@code java} from the capsule user's PATH,
 *     or a path
 * @param minimumJava the oldest Java feature release the agent can run on
 */
public record AgentSpec(
        String nodeName,
        String jenkinsUrl,
        String remoteRoot,
        Duration connectTimeout,
        String javaCommand,
        int minimumJava) {

    /** The Java feature release the agent.jar of Jenkins 2.555 needs (Jenkins' Java support policy). */
    public static final int JAVA_FOR_JENKINS = 21;

    public AgentSpec {
        if (nodeName == null || nodeName.isBlank()) {
            throw new IllegalArgumentException("nodeName: must not be empty");
        }
        if (jenkinsUrl == null || !(jenkinsUrl.startsWith("http://") || jenkinsUrl.startsWith("https://"))) {
            throw new IllegalArgumentException("jenkinsUrl: must start with http:// or https://, got " + jenkinsUrl);
        }
        if (remoteRoot == null || remoteRoot.isBlank()) {
            throw new IllegalArgumentException("remoteRoot: must not be empty");
        }
        if (remoteRoot.indexOf('\n') >= 0 || remoteRoot.indexOf('\r') >= 0 || remoteRoot.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("remoteRoot: must not contain a line break or NUL");
        }
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout: must be positive, got " + connectTimeout);
        }
        if (javaCommand == null || javaCommand.isBlank()) {
            javaCommand = "java";
        }
        remoteRoot = remoteRoot.length() > 1 && remoteRoot.endsWith("/")
                ? remoteRoot.substring(0, remoteRoot.length() - 1)
                : remoteRoot;
    }

    /** Where agent.jar is put. */
    public String jarPath() {
        return remoteRoot + "/agent.jar";
    }

    /** The file the agent reads its secret from; only the capsule's user can read it. */
    public String secretPath() {
        return remoteRoot + "/.agent-secret";
    }

    /** Where the agent's own output goes, read back when it fails. */
    public String logPath() {
        return remoteRoot + "/agent.log";
    }
}
