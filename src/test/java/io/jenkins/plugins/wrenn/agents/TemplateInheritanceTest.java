package io.jenkins.plugins.wrenn.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a Jenkinsfile's agents come from an administrator's template: what may change, and what each refusal says. */
class TemplateInheritanceTest {

    /** The administrator's templates: one that allows overrides, one that does not, in two clouds. */
    static final TemplateSettings PYTHON =
            new TemplateSettings("python py3", "python-3.12", 2, 2048, null, 1, 120, null, KeepPolicy.NEVER, true);

    static final TemplateSettings JAVA =
            new TemplateSettings("java", "java-21", 0, 0, "/srv/agent", 3, 60, "/opt/jdk/bin/java", null, false);

    static final TemplateSettings GPU =
            new TemplateSettings("gpu", "cuda-12", 8, 32768, null, 1, 300, null, KeepPolicy.ON_FAILURE, false);

    static Map<String, List<TemplateSettings>> clouds() {
        Map<String, List<TemplateSettings>> clouds = new LinkedHashMap<>();
        clouds.put("wrenn", List.of(PYTHON, JAVA));
        clouds.put("wrenn-gpu", List.of(GPU));
        return clouds;
    }

    static TemplateRequest inheritFrom(String label) {
        return request(null, label, null);
    }

    static TemplateRequest request(String cloud, String inheritFrom, String template) {
        return new TemplateRequest(cloud, inheritFrom, template, 0, 0, null, 0, null, null);
    }

    static String refusal(Map<String, List<TemplateSettings>> clouds, TemplateRequest request) {
        return assertThrows(TemplateRequestException.class, () -> TemplateInheritance.resolve(clouds, request))
                .getMessage();
    }

    @Test
    void aLabelPicksTheFirstTemplateThatHasItAndNothingChanges() throws Exception {
        TemplateInheritance.Inherited got = TemplateInheritance.resolve(clouds(), inheritFrom("py3"));
        assertEquals("wrenn", got.cloud());
        assertEquals(PYTHON, got.base());
        assertEquals(List.of(), got.changes());
        assertEquals(PYTHON.withLabels("python py3"), got.settings(), "the template's settings, unchanged");
        assertFalse(got.settings().allowOverrides(), "the agents' own template allows nothing further");
    }

    @Test
    void aWrennTemplatePicksTheFirstAgentTemplateThatUsesIt() throws Exception {
        TemplateInheritance.Inherited got = TemplateInheritance.resolve(clouds(), request(null, null, "cuda-12"));
        assertEquals("wrenn-gpu", got.cloud());
        assertEquals(GPU, got.base());
        assertEquals(List.of(), got.changes(), "picking by the template is no change, even where none is allowed");
    }

    @Test
    void allowedChangesAreMergedAndEverythingElseIsTheTemplates() throws Exception {
        TemplateRequest r = new TemplateRequest(
                null, "python", "python-3.13", 4, 8192, "/work/", 30, "/usr/lib/jvm/bin/java", KeepPolicy.ALWAYS);
        TemplateInheritance.Inherited got = TemplateInheritance.resolve(clouds(), r);
        TemplateSettings s = got.settings();
        assertEquals("python-3.13", s.template());
        assertEquals(4, s.vcpus());
        assertEquals(8192, s.memoryMb());
        assertEquals("/work/", s.remoteRoot());
        assertEquals(30, s.connectTimeout());
        assertEquals("/usr/lib/jvm/bin/java", s.javaCommand());
        assertEquals(KeepPolicy.ALWAYS, s.keep());
        assertEquals(1, s.idleMinutes(), "idle minutes are the template's");
        assertEquals("python py3", s.labels(), "labels are the caller's to replace");
        assertEquals(
                TemplateRequest.OVERRIDABLE,
                got.changes().stream().map(TemplateInheritance.Change::field).toList(),
                "every overridable field, in order");
        assertEquals(
                new TemplateInheritance.Change("vcpus", "4", "2"), got.changes().get(1));
    }

    @Test
    void askingForWhatTheTemplateHasIsNoChangeEvenWhereNothingMayChange() throws Exception {
        // The defaults are filled in: java and jenkins-agent are what an empty field means.
        TemplateSettings plain = new TemplateSettings("plain", null, 0, 0, null, 1, 120, null, null, false);
        TemplateRequest same =
                new TemplateRequest(null, "plain", null, 0, 0, "jenkins-agent/", 120, "java", KeepPolicy.NEVER);
        TemplateInheritance.Inherited got = TemplateInheritance.resolve(Map.of("c", List.of(plain)), same);
        assertEquals(List.of(), got.changes());
        TemplateRequest javaSame = new TemplateRequest(
                null, "java", "java-21", 0, 0, "/srv/agent", 60, "/opt/jdk/bin/java", KeepPolicy.NEVER);
        assertEquals(List.of(), TemplateInheritance.resolve(clouds(), javaSame).changes());
    }

    @Test
    void aChangeTheTemplateDoesNotAllowNamesEachFieldAndTheTemplate() {
        TemplateRequest r = new TemplateRequest(null, "java", null, 4, 8192, null, 0, null, KeepPolicy.ALWAYS);
        assertEquals(
                "Agent template 'java' of Wrenn cloud wrenn does not allow Jenkinsfiles to override it, so this"
                        + " Jenkinsfile cannot change vcpus to 4 (the template's: the server's default), memoryMb to"
                        + " 8192 (the template's: the server's default) and keep to always (the template's: never):"
                        + " remove vcpus, memoryMb and keep from the Jenkinsfile, or ask an administrator to turn on"
                        + " 'Allow Jenkinsfiles to override this template' in that agent template.",
                refusal(clouds(), r));
    }

    @Test
    void anotherWrennTemplateIsAChangeToo() {
        TemplateRequest r = request(null, "gpu", "cuda-11");
        String message = refusal(clouds(), r);
        assertTrue(
                message.startsWith("Agent template 'gpu' of Wrenn cloud wrenn-gpu does not allow Jenkinsfiles to"
                        + " override it, so this Jenkinsfile cannot change template to cuda-11 (the template's:"
                        + " cuda-12): remove template from the Jenkinsfile"),
                message);
    }

    @Test
    void aTemplateNoAgentTemplateUsesIsRefusedWithTheTemplatesListed() {
        assertEquals(
                "No agent template makes capsules of Wrenn template node-22 (template); the agent templates are"
                        + " 'python py3' of cloud wrenn (template python-3.12), 'java' of cloud wrenn (template"
                        + " java-21) and 'gpu' of cloud wrenn-gpu (template cuda-12). For another Wrenn template, name"
                        + " with inheritFrom an agent template that allows Jenkinsfiles to override it.",
                refusal(clouds(), request(null, null, "node-22")));
    }

    @Test
    void anUnknownLabelIsRefused() {
        String message = refusal(clouds(), inheritFrom("ruby"));
        assertTrue(
                message.startsWith("No agent template has the label ruby (inheritFrom); the agent templates are"
                        + " 'python py3' of cloud wrenn"),
                message);
    }

    @Test
    void aLabelIsOneWholeLabelNotAPartOfOne() {
        assertTrue(refusal(clouds(), inheritFrom("py")).startsWith("No agent template has the label py"));
        assertTrue(refusal(clouds(), inheritFrom("python py3")).startsWith("No agent template has the label"));
    }

    @Test
    void namingNoTemplateSaysHowToNameOne() {
        assertEquals(
                "Name the agent template to start from: inheritFrom, one of its labels (e.g. inheritFrom 'python'),"
                        + " or template, the Wrenn template it uses. The agent templates are 'python py3' of cloud"
                        + " wrenn (template python-3.12), 'java' of cloud wrenn (template java-21) and 'gpu' of cloud"
                        + " wrenn-gpu (template cuda-12).",
                refusal(clouds(), request(null, null, null)));
    }

    @Test
    void aCloudNarrowsTheSearch() throws Exception {
        assertEquals(
                "wrenn-gpu",
                TemplateInheritance.resolve(clouds(), request("wrenn-gpu", "gpu", null))
                        .cloud());
        String message = refusal(clouds(), request("wrenn-gpu", "python", null));
        assertTrue(
                message.startsWith("No agent template has the label python (inheritFrom); the agent templates are"
                        + " 'gpu' of cloud wrenn-gpu (template cuda-12)."),
                message);
        assertEquals(
                "There is no Wrenn cloud named aws (cloud); the Wrenn clouds are wrenn and wrenn-gpu.",
                refusal(clouds(), request("aws", "python", null)));
    }

    @Test
    void noCloudOrNoTemplatesSaysWhoAddsThem() {
        assertEquals(
                "No Wrenn cloud is set up, so there is no agent template to start from: an administrator adds one in"
                        + " Manage Jenkins > Clouds.",
                refusal(Map.of(), inheritFrom("python")));
        assertEquals(
                "Wrenn cloud empty has no agent templates to start from: an administrator adds them in the cloud's"
                        + " configuration.",
                refusal(Map.of("empty", List.of()), inheritFrom("python")));
    }

    @Test
    void valuesThatCannotBeAreRefusedByName() {
        assertEquals(
                "vcpus must be 1 or more, or left out to keep the agent template's; it is -1.",
                refusal(clouds(), new TemplateRequest(null, "python", null, -1, 0, null, 0, null, null)));
        assertEquals(
                "connectTimeout must be 1 or more, or left out to keep the agent template's; it is -5.",
                refusal(clouds(), new TemplateRequest(null, "python", null, 0, 0, null, -5, null, null)));
        // A line break would forge lines in the build log and is no path or command anyway; it is not repeated.
        String message =
                refusal(clouds(), new TemplateRequest(null, "python", null, 0, 0, "a\n[wrenn] forged", 0, null, null));
        assertEquals("remoteRoot must not contain a line break or another control character.", message);
        assertEquals(
                "javaCommand must not contain a line break or another control character.",
                refusal(clouds(), new TemplateRequest(null, "python", null, 0, 0, null, 0, "java\u0000", null)));
    }

    @Test
    void blankValuesAreNotAskedFor() throws Exception {
        TemplateRequest blank = new TemplateRequest(" ", "java", " ", 0, 0, "", 0, "  ", null);
        assertEquals(List.of(), TemplateInheritance.resolve(clouds(), blank).changes());
    }

    @Test
    void theLogLineSaysWhereTheAgentsComeFromAndWhatTheJenkinsfileChanged() throws Exception {
        TemplateRequest r = new TemplateRequest(null, "python", null, 4, 8192, null, 0, null, null);
        assertEquals(
                "[wrenn] Wrenn agents of this block: agent template 'python py3' of cloud wrenn, with vcpus 4 and"
                        + " memoryMb 8192 from this Jenkinsfile; their label is python-p-7-abcde.",
                TemplateInheritance.resolve(clouds(), r).note("python-p-7-abcde"));
        assertEquals(
                "[wrenn] Wrenn agents of this block: agent template 'java' of cloud wrenn; their label is j-1.",
                TemplateInheritance.resolve(clouds(), inheritFrom("java")).note("j-1"));
    }

    @Test
    void labelsAreOneAtomWhateverTheJobIsCalled() {
        assertEquals("python-p0-12-k3x9q", TemplateInheritance.label("python", "p0", 12, "k3x9q"));
        assertEquals(
                "wrenn-team-a-my-job-feature-x-3-abcde",
                TemplateInheritance.label("wrenn", "team a/my job » feature/x", 3, "abcde"));
        // No character a label expression reads as an operator, space or quote survives.
        String label = TemplateInheritance.label("py&&x", "a||b/(c)->!d \"e\" 'f' <g>", 1, "z");
        assertTrue(label.matches("[A-Za-z0-9_.-]+"), label);
        assertFalse(label.contains("->"), label);
        String longJob = "folder/".repeat(20) + "the-job";
        String l = TemplateInheritance.label("wrenn", longJob, 9, "abcde");
        assertTrue(l.endsWith("the-job-9-abcde") && l.length() <= "wrenn".length() + 1 + 40 + 8 + 1, l);
        assertFalse(l.contains("--"), l);
    }
}
