package io.jenkins.plugins.wrenn.agents;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The rules by which a Jenkinsfile gets agents of its own from an administrator's agent template:
 * it names the template to start from (by one of its labels, or by the Wrenn template it uses),
 * and may change the settings of {@link TemplateRequest#OVERRIDABLE} only where that template
 * allows Jenkinsfiles to override it. Asking for what the template already has is no change. Every
 * refusal names the field and the template.
 */
public final class TemplateInheritance {

    private static final int LONGEST_JOB_PART = 40;

    private TemplateInheritance() {}

    /** An agent template and the cloud it belongs to. */
    private record Candidate(String cloud, TemplateSettings settings) {}

    /**
     * A setting the Jenkinsfile changes.
     *
     * @param field its name in the Jenkinsfile
     * @param asked the value the Jenkinsfile asks for
     * @param templateHas the template's own value, in words
     */
    public record Change(String field, String asked, String templateHas) {}

    /**
     * The outcome: the template inherited from and the settings its agents get.
     *
     * @param cloud the cloud of the template
     * @param base the administrator's template
     * @param settings the base's settings with the Jenkinsfile's changes, still with the base's
     *     labels: the caller gives the agents labels of their own
     * @param changes what the Jenkinsfile changed, in the order of {@link TemplateRequest#OVERRIDABLE}
     */
    public record Inherited(String cloud, TemplateSettings base, TemplateSettings settings, List<Change> changes) {

        /** The build log's line about the block's agents. */
        public String note(String label) {
            String from = changes.isEmpty()
                    ? ""
                    : Messages.Inherit_NoteChanges(joined(changes.stream()
                            .map(c -> Messages.Inherit_NoteChange(c.field(), c.asked()))
                            .toList()));
            return Messages.Inherit_Note(base.labels(), cloud, from, label);
        }
    }

    /**
     * Finds the template a Jenkinsfile starts from and applies its changes.
     *
     * @param clouds the agent templates of each Wrenn cloud, by cloud name, in the order of the clouds
     * @throws TemplateRequestException saying what the Jenkinsfile must change, naming the field
     */
    public static Inherited resolve(Map<String, List<TemplateSettings>> clouds, TemplateRequest request)
            throws TemplateRequestException {
        String problem = request.problem();
        if (problem != null) {
            throw new TemplateRequestException(problem);
        }
        if (clouds.isEmpty()) {
            throw new TemplateRequestException(Messages.Inherit_NoCloud());
        }
        List<Candidate> candidates = new ArrayList<>();
        for (Map.Entry<String, List<TemplateSettings>> cloud : clouds.entrySet()) {
            if (request.cloud() == null || request.cloud().equals(cloud.getKey())) {
                cloud.getValue().forEach(t -> candidates.add(new Candidate(cloud.getKey(), t)));
            }
        }
        if (request.cloud() != null && !clouds.containsKey(request.cloud())) {
            throw new TemplateRequestException(
                    Messages.Inherit_UnknownCloud(request.cloud(), joined(List.copyOf(clouds.keySet()))));
        }
        if (candidates.isEmpty()) {
            String searched = request.cloud() != null ? request.cloud() : joined(List.copyOf(clouds.keySet()));
            throw new TemplateRequestException(Messages.Inherit_NoTemplates(searched));
        }
        Candidate base = choose(candidates, request);
        List<Change> changes = changes(base.settings(), request);
        if (!changes.isEmpty() && !base.settings().allowOverrides()) {
            List<String> fields = changes.stream().map(Change::field).toList();
            throw new TemplateRequestException(Messages.Inherit_Refused(
                    base.settings().labels(),
                    base.cloud(),
                    joined(changes.stream()
                            .map(c -> Messages.Inherit_Change(c.field(), c.asked(), c.templateHas()))
                            .toList()),
                    joined(fields)));
        }
        TemplateSettings t = base.settings();
        TemplateSettings merged = new TemplateSettings(
                t.labels(),
                request.template() != null ? request.template() : t.template(),
                request.vcpus() > 0 ? request.vcpus() : t.vcpus(),
                request.memoryMb() > 0 ? request.memoryMb() : t.memoryMb(),
                request.remoteRoot() != null ? request.remoteRoot() : t.remoteRoot(),
                t.idleMinutes(),
                request.connectTimeout() > 0 ? request.connectTimeout() : t.connectTimeout(),
                request.javaCommand() != null ? request.javaCommand() : t.javaCommand(),
                request.keep() != null ? request.keep() : t.keep(),
                false);
        return new Inherited(base.cloud(), t, merged, List.copyOf(changes));
    }

    private static Candidate choose(List<Candidate> candidates, TemplateRequest request)
            throws TemplateRequestException {
        if (request.inheritFrom() != null) {
            return candidates.stream()
                    .filter(c -> c.settings().labelList().contains(request.inheritFrom()))
                    .findFirst()
                    .orElseThrow(() -> new TemplateRequestException(
                            Messages.Inherit_NoSuchLabel(request.inheritFrom(), listed(candidates))));
        }
        if (request.template() != null) {
            return candidates.stream()
                    .filter(c -> request.template().equals(c.settings().template()))
                    .findFirst()
                    .orElseThrow(() -> new TemplateRequestException(
                            Messages.Inherit_NoSuchTemplate(request.template(), listed(candidates))));
        }
        String example =
                candidates.get(0).settings().labelList().stream().findFirst().orElse("wrenn");
        throw new TemplateRequestException(Messages.Inherit_NothingNamed(listed(candidates), example));
    }

    /** The settings the request changes, compared with the template's own (defaults filled in). */
    private static List<Change> changes(TemplateSettings t, TemplateRequest r) {
        List<Change> changes = new ArrayList<>();
        if (r.template() != null && !r.template().equals(t.template())) {
            changes.add(new Change("template", r.template(), orDefault(t.template())));
        }
        if (r.vcpus() > 0 && r.vcpus() != t.vcpus()) {
            changes.add(new Change("vcpus", Integer.toString(r.vcpus()), orDefault(t.vcpus())));
        }
        if (r.memoryMb() > 0 && r.memoryMb() != t.memoryMb()) {
            changes.add(new Change("memoryMb", Integer.toString(r.memoryMb()), orDefault(t.memoryMb())));
        }
        if (r.remoteRoot() != null
                && !withoutTrailingSlash(r.remoteRoot()).equals(withoutTrailingSlash(t.remoteRoot()))) {
            changes.add(new Change("remoteRoot", r.remoteRoot(), t.remoteRoot()));
        }
        if (r.connectTimeout() > 0 && r.connectTimeout() != t.connectTimeout()) {
            changes.add(new Change(
                    "connectTimeout", Integer.toString(r.connectTimeout()), Integer.toString(t.connectTimeout())));
        }
        if (r.javaCommand() != null && !r.javaCommand().equals(t.javaCommand())) {
            changes.add(new Change("javaCommand", r.javaCommand(), t.javaCommand()));
        }
        if (r.keep() != null && r.keep() != t.keep()) {
            changes.add(new Change("keep", r.keep().token(), t.keep().token()));
        }
        return changes;
    }

    /**
     * The label of a block's agents: the template's first label, the job and the build, and a
     * random part, so that only that block's {@code node} asks for them. Characters a label
     * expression would read otherwise become {@code -}.
     *
     * @param suffix a random part, letters and digits
     */
    public static String label(String templateLabel, String jobFullName, int buildNumber, String suffix) {
        String job = safe(jobFullName);
        if (job.length() > LONGEST_JOB_PART) {
            job = job.substring(job.length() - LONGEST_JOB_PART).replaceAll("^-+", "");
        }
        StringBuilder b = new StringBuilder();
        for (String part : new String[] {safe(templateLabel), job, Integer.toString(buildNumber), safe(suffix)}) {
            if (!part.isEmpty()) {
                b.append(b.isEmpty() ? "" : "-").append(part);
            }
        }
        return b.toString();
    }

    private static String safe(String s) {
        return s == null ? "" : s.replaceAll("[^A-Za-z0-9_.]+", "-").replaceAll("^-+|-+$", "");
    }

    private static String withoutTrailingSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private static String orDefault(String template) {
        return Objects.requireNonNullElseGet(template, Messages::Inherit_ServerDefault);
    }

    private static String orDefault(int number) {
        return number > 0 ? Integer.toString(number) : Messages.Inherit_ServerDefault();
    }

    private static String listed(List<Candidate> candidates) {
        return joined(candidates.stream()
                .map(c -> Messages.Inherit_Described(
                        c.settings().labels(),
                        c.cloud(),
                        c.settings().template() == null
                                ? Messages.Inherit_DefaultTemplate()
                                : Messages.Inherit_TemplateName(c.settings().template())))
                .toList());
    }

    /** {@code a}, {@code a and b}, {@code a, b and c}. */
    static String joined(List<String> items) {
        if (items.size() <= 1) {
            return items.isEmpty() ? "" : items.get(0);
        }
        return Messages.Inherit_Last(
                String.join(", ", items.subList(0, items.size() - 1)), items.get(items.size() - 1));
    }
}
