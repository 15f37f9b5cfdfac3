package io.jenkins.plugins.wrenn.agents;

import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import java.util.List;

/**
 * What a Jenkinsfile asks of its Wrenn agents ({@code agent { wrenn { ... } }} or {@code
 * wrennAgent(...) { ... }}): the administrator's template to start from, and the settings it wants
 * otherwise. Null, or 0 for a number, means not asked for: the template's own setting stays.
 *
 * @param cloud the Wrenn cloud whose templates to look in; null for every Wrenn cloud, in order
 * @param inheritFrom one of the labels of the template to start from
 * @param template the Wrenn template or snapshot; without {@code inheritFrom} it also picks the
 *     first agent template that uses it
 * @param vcpus the capsule's vCPUs
 * @param memoryMb the capsule's memory in MiB
 * @param remoteRoot the agent's root directory in the capsule
 * @param connectTimeout seconds the started agent may take to connect
 * @param javaCommand the JVM in the image
 * @param keep when the capsule is kept, paused
 */
public record TemplateRequest(
        String cloud,
        String inheritFrom,
        String template,
        int vcpus,
        int memoryMb,
        String remoteRoot,
        int connectTimeout,
        String javaCommand,
        KeepPolicy keep) {

    /**
     * The settings a Jenkinsfile may change where its template allows it, by the names the
     * Jenkinsfile gives them. Not the labels (the agents get labels of their own build), the idle
     * minutes (each agent takes one build) or the permission itself.
     */
    public static final List<String> OVERRIDABLE =
            List.of("template", "vcpus", "memoryMb", "remoteRoot", "connectTimeout", "javaCommand", "keep");

    public TemplateRequest {
        cloud = TemplateSettings.blankToNull(cloud);
        inheritFrom = TemplateSettings.blankToNull(inheritFrom);
        template = TemplateSettings.blankToNull(template);
        remoteRoot = TemplateSettings.blankToNull(remoteRoot);
        javaCommand = TemplateSettings.blankToNull(javaCommand);
    }

    /** What is wrong with the values themselves, in the Jenkinsfile's words; null when nothing. */
    String problem() {
        for (var number : List.of(
                new Named<>("vcpus", vcpus),
                new Named<>("memoryMb", memoryMb),
                new Named<>("connectTimeout", connectTimeout))) {
            if (number.value() < 0) {
                return Messages.Inherit_Negative(number.name(), Integer.toString(number.value()));
            }
        }
        for (var text : List.of(
                new Named<>("cloud", cloud),
                new Named<>("inheritFrom", inheritFrom),
                new Named<>("template", template),
                new Named<>("remoteRoot", remoteRoot),
                new Named<>("javaCommand", javaCommand))) {
            if (text.value() != null && text.value().chars().anyMatch(Character::isISOControl)) {
                return Messages.Inherit_ControlCharacter(text.name());
            }
        }
        return null;
    }

    private record Named<T>(String name, T value) {}
}
