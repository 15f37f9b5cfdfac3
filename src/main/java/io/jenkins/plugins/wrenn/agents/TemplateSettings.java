package io.jenkins.plugins.wrenn.agents;

import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import java.util.Arrays;
import java.util.List;

/**
 * An agent template's settings as the inheritance rules read them, defaults filled in, so that a
 * Jenkinsfile asking for a default is not taken for a change.
 *
 * @param labels the labels builds ask for, separated by spaces
 * @param template the Wrenn template or snapshot; null for the server's default
 * @param vcpus the capsule's vCPUs; 0 for the server's default
 * @param memoryMb the capsule's memory in MiB; 0 for the server's default
 * @param remoteRoot the agent's root directory in the capsule; null for {@link #DEFAULT_REMOTE_ROOT}
 * @param idleMinutes how long an agent that took no build stays
 * @param connectTimeout seconds the started agent may take to connect
 * @param javaCommand the JVM in the image; null for {@link #DEFAULT_JAVA}
 * @param keep when the capsule is kept, paused; null for never
 * @param allowOverrides whether a Jenkinsfile may change {@link TemplateRequest#OVERRIDABLE the settings it may change}
 */
public record TemplateSettings(
        String labels,
        String template,
        int vcpus,
        int memoryMb,
        String remoteRoot,
        int idleMinutes,
        int connectTimeout,
        String javaCommand,
        KeepPolicy keep,
        boolean allowOverrides) {

    /** The agent's root directory unless the template says otherwise: in the capsule user's home. */
    public static final String DEFAULT_REMOTE_ROOT = "jenkins-agent";

    /** The JVM unless the template says otherwise: {@code java} on the capsule user's PATH. */
    public static final String DEFAULT_JAVA = "java";

    public TemplateSettings {
        template = blankToNull(template);
        remoteRoot = remoteRoot == null || remoteRoot.isBlank() ? DEFAULT_REMOTE_ROOT : remoteRoot.strip();
        javaCommand = javaCommand == null || javaCommand.isBlank() ? DEFAULT_JAVA : javaCommand.strip();
        keep = keep == null ? KeepPolicy.NEVER : keep;
    }

    /** The labels one by one. */
    public List<String> labelList() {
        return labels == null || labels.isBlank()
                ? List.of()
                : Arrays.asList(labels.strip().split("\\s+"));
    }

    /** The same settings for agents of other labels, which no Jenkinsfile may change further. */
    public TemplateSettings withLabels(String newLabels) {
        return new TemplateSettings(
                newLabels,
                template,
                vcpus,
                memoryMb,
                remoteRoot,
                idleMinutes,
                connectTimeout,
                javaCommand,
                keep,
                false);
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
