package io.jenkins.plugins.wrenn.cloud;

import hudson.Extension;
import hudson.ExtensionList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import jenkins.model.Jenkins;

/**
 * The agent templates running Pipelines made for themselves ({@code wrennAgent}, {@code agent {
 * wrenn { ... } }}), by the name of their cloud, beside the administrator's: each under a label
 * of its own block, from the block's start until its end. Kept by cloud name rather than in the
 * cloud, because saving the cloud's configuration replaces the cloud object while builds wait for
 * agents. Never saved: after a restart, each block still running puts its template back as it
 * resumes, and the templates of blocks that are gone are gone with them.
 */
@Extension
public final class PipelineAgentTemplates {

    private final Map<String, List<WrennAgentTemplate>> byCloud = new ConcurrentHashMap<>();

    static PipelineAgentTemplates get() {
        return ExtensionList.lookupSingleton(PipelineAgentTemplates.class);
    }

    /** Adds a block's template; adding it again (a resumed block) changes nothing. */
    void add(String cloud, WrennAgentTemplate template) {
        List<WrennAgentTemplate> templates = byCloud.computeIfAbsent(cloud, c -> new CopyOnWriteArrayList<>());
        if (templates.stream().noneMatch(t -> t.getLabels().equals(template.getLabels()))) {
            templates.add(template);
        }
    }

    /** Removes the template of a block that ended; its cloud no longer remembers a pause for it either. */
    void remove(String cloud, String labels) {
        List<WrennAgentTemplate> templates = byCloud.get(cloud);
        if (templates != null) {
            templates.removeIf(t -> t.getLabels().equals(labels));
        }
        if (Jenkins.get().getCloud(cloud) instanceof WrennCloud c) {
            c.forgetPause(labels);
        }
    }

    /** The templates of running blocks in this cloud. */
    List<WrennAgentTemplate> of(String cloud) {
        List<WrennAgentTemplate> templates = byCloud.get(cloud);
        return templates == null ? List.of() : List.copyOf(templates);
    }
}
