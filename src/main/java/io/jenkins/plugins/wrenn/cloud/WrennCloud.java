package io.jenkins.plugins.wrenn.cloud;

import hudson.Extension;
import hudson.ProxyConfiguration;
import hudson.Util;
import hudson.model.Descriptor;
import hudson.model.Label;
import hudson.model.Node;
import hudson.model.Queue;
import hudson.model.Run;
import hudson.slaves.Cloud;
import hudson.slaves.NodeProvisioner;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.CapsuleOwnership;
import io.jenkins.plugins.wrenn.WrennCredentials;
import io.jenkins.plugins.wrenn.agents.AgentLaunchFailure;
import io.jenkins.plugins.wrenn.agents.TemplateSettings;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.capacity.CapsuleSlots;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.ownership.Group;
import java.io.IOException;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import jenkins.model.Jenkins;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.flow.FlowExecutionOwner;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * Manage Jenkins &gt; Clouds &gt; Wrenn: agents in fresh capsules, one build each, made from the
 * administrator's {@link WrennAgentTemplate templates}. Every agent's capsule counts against
 * Maximum capsules at once (an agent waits for a slot before it is made), is labelled and recorded
 * as every capsule the plugin creates, and is swept when its agent is gone.
 */
public class WrennCloud extends Cloud {

    private static final Logger LOGGER = Logger.getLogger(WrennCloud.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SUFFIX_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

    /** After a launch failure that would fail again (no JVM, URL unreachable, refused): the first pause. */
    private static final Duration FIRST_PAUSE = Duration.ofMinutes(1);

    private static final Duration LONGEST_PAUSE = Duration.ofMinutes(10);

    private String apiUrl;
    private String credentialsId;
    private String jenkinsUrl;
    private List<WrennAgentTemplate> templates = new ArrayList<>();

    /**
     * Templates whose launches fail for a reason that would repeat, by labels: until when none is
     * started. Not saved: a restart, or a saved configuration (which replaces the cloud), tries again.
     */
    private transient Map<String, Pause> paused;

    private record Pause(Instant until, Duration length) {}

    @DataBoundConstructor
    public WrennCloud(String name) {
        super(name);
    }

    public String getApiUrl() {
        return apiUrl;
    }

    /** The Wrenn API of this cloud; empty for the one of Manage Jenkins &gt; System &gt; Wrenn. */
    @DataBoundSetter
    public void setApiUrl(String apiUrl) {
        this.apiUrl = Util.fixEmptyAndTrim(apiUrl);
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    /** A Secret text credential with the API key; empty for the default of the Wrenn section. */
    @DataBoundSetter
    public void setCredentialsId(String credentialsId) {
        this.credentialsId = Util.fixEmptyAndTrim(credentialsId);
    }

    public String getJenkinsUrl() {
        return jenkinsUrl;
    }

    /** The URL the capsules reach Jenkins at; empty for Jenkins' own URL. */
    @DataBoundSetter
    public void setJenkinsUrl(String jenkinsUrl) {
        String url = Util.fixEmptyAndTrim(jenkinsUrl);
        this.jenkinsUrl = url == null || url.endsWith("/") ? url : url + "/";
    }

    public List<WrennAgentTemplate> getTemplates() {
        return templates == null ? List.of() : List.copyOf(templates);
    }

    @DataBoundSetter
    public void setTemplates(List<WrennAgentTemplate> templates) {
        this.templates = templates == null ? new ArrayList<>() : new ArrayList<>(templates);
    }

    /** The API URL in use: this cloud's or the global one. */
    String effectiveApiUrl() {
        return apiUrl != null ? apiUrl : WrennGlobalConfiguration.get().getApiUrl();
    }

    /** The credentials in use: this cloud's or the global default; null when neither is set. */
    String effectiveCredentialsId() {
        return WrennCredentials.effectiveId(credentialsId);
    }

    /** The Jenkins URL the agents connect to: this cloud's or Jenkins' own; null when neither is set. */
    String effectiveJenkinsUrl() {
        return jenkinsUrl != null ? jenkinsUrl : Jenkins.get().getRootUrl();
    }

    /** Where this cloud's capsules are recorded: its API and credentials. */
    Group group() {
        return new Group(effectiveApiUrl(), effectiveCredentialsId());
    }

    /**
     * The first template whose labels the label asks for: the administrator's, then those running
     * Pipelines made for themselves from them ({@link PipelineAgentTemplates}).
     */
    WrennAgentTemplate templateFor(Label label) {
        return Stream.concat(getTemplates().stream(), PipelineAgentTemplates.get().of(name).stream())
                .filter(t -> t.matches(label))
                .findFirst()
                .orElse(null);
    }

    /** The administrator's templates of every Wrenn cloud, by cloud name, in the order of the clouds. */
    static Map<String, List<TemplateSettings>> allTemplates() {
        Map<String, List<TemplateSettings>> all = new LinkedHashMap<>();
        for (Cloud c : Jenkins.get().clouds) {
            if (c instanceof WrennCloud w) {
                all.put(
                        w.name,
                        w.getTemplates().stream()
                                .map(WrennAgentTemplate::settings)
                                .toList());
            }
        }
        return all;
    }

    /** The template whose labels are exactly these, for an agent saved before a restart. */
    WrennAgentTemplate templateByLabels(String labels) {
        return getTemplates().stream()
                .filter(t -> String.valueOf(t.getLabels()).equals(labels))
                .findFirst()
                .orElse(null);
    }

    /**
     * A client for this cloud's API with its credentials, looked up as the system (agents belong
     * to no build).
     *
     * @throws IOException naming the credentials when they cannot be found
     */
    WrennClient newClient() throws IOException {
        String id = effectiveCredentialsId();
        if (id == null) {
            throw new IOException(Messages.WrennCloud_NoCredentials(name));
        }
        String key = WrennCredentials.apiKeyForTest(null, id, effectiveApiUrl());
        if (key == null) {
            throw new IOException(Messages.WrennCloud_CredentialsNotFound(id, name));
        }
        return WrennClient.builder(URI.create(effectiveApiUrl()), key)
                .httpClient(ProxyConfiguration.newHttpClientBuilder())
                .connectTimeout(
                        Duration.ofSeconds(WrennGlobalConfiguration.get().getConnectTimeoutSeconds()))
                .build();
    }

    @Override
    public boolean canProvision(CloudState state) {
        WrennAgentTemplate t = templateFor(state.getLabel());
        return t != null && !isPaused(t);
    }

    /**
     * Plans one agent per executor asked for. Each waits for a capsule slot (Maximum capsules at
     * once) without a thread: the node exists only once its slot is granted, and its launch then
     * creates the capsule.
     */
    @Override
    public Collection<NodeProvisioner.PlannedNode> provision(CloudState state, int excessWorkload) {
        WrennAgentTemplate template = templateFor(state.getLabel());
        if (template == null || isPaused(template)) {
            return List.of();
        }
        List<NodeProvisioner.PlannedNode> planned = new ArrayList<>();
        for (int i = 0; i < excessWorkload; i++) {
            String recordId = CapsuleOwnership.newRecordId();
            String nodeName = template.namePrefix() + "-" + suffix();
            CapsuleSlots.Request slot = CapsuleOwnership.SLOTS.request(recordId);
            if (slot.mustWait()) {
                LOGGER.log(Level.INFO, "{0}: {1}", new Object[] {nodeName, slot.waitLine()});
            }
            CompletableFuture<Node> node = slot.granted().thenApply(granted -> {
                try {
                    return new WrennAgent(nodeName, name, template, recordId);
                } catch (IOException | Descriptor.FormException e) {
                    CapsuleOwnership.SLOTS.release(recordId);
                    throw new CompletionException(e);
                }
            });
            planned.add(new NodeProvisioner.PlannedNode(nodeName, node, 1));
        }
        return planned;
    }

    private boolean isPaused(WrennAgentTemplate template) {
        Pause p = paused().get(pauseKey(template));
        return p != null && Instant.now().isBefore(p.until());
    }

    /**
     * A launch failed. For a reason that would repeat with every capsule (no JVM, an old one, a
     * Jenkins URL the capsules cannot reach, a refused secret), the template makes no agents for
     * a while (1 minute, doubling up to 10), and each Pipeline waiting for its labels is told why
     * in its log and stops waiting, rather than have capsule after capsule fail for it.
     */
    void launchFailed(WrennAgentTemplate template, AgentLaunchFailure failure) {
        switch (failure.reason()) {
            case NO_JVM, OLD_JVM, URL_UNREACHABLE, KEY_REFUSED, SECRET_NOT_PRIVATE -> {
                Pause before = paused().get(pauseKey(template));
                Duration length = before == null
                        ? FIRST_PAUSE
                        : before.length().multipliedBy(2).compareTo(LONGEST_PAUSE) > 0
                                ? LONGEST_PAUSE
                                : before.length().multipliedBy(2);
                paused().put(pauseKey(template), new Pause(Instant.now().plus(length), length));
                failWaitingBuilds(template, failure.getMessage());
            }
            default -> {
                // A passing failure (capacity, the API): the next provisioning round tries again.
            }
        }
    }

    /** A launch came online: the template is no longer paused. */
    void launchSucceeded(WrennAgentTemplate template) {
        paused().remove(pauseKey(template));
    }

    /** A Pipeline's template is gone: a pause of it means nothing any more. */
    void forgetPause(String labels) {
        paused().remove(labels);
    }

    private static void failWaitingBuilds(WrennAgentTemplate template, String why) {
        Queue queue = Queue.getInstance();
        for (Queue.BuildableItem item : queue.getBuildableItems()) {
            if (!template.matches(item.getAssignedLabel())) {
                continue;
            }
            Queue.Executable owner = item.task.getOwnerExecutable();
            if (owner instanceof FlowExecutionOwner.Executable flow) {
                try {
                    FlowExecutionOwner o = flow.asFlowExecutionOwner();
                    if (o != null) {
                        o.getListener().getLogger().println(Messages.WrennCloud_LaunchFailedForBuild(why));
                    }
                } catch (IOException e) {
                    LOGGER.log(Level.FINE, "cannot write to the log of " + owner, e);
                }
                queue.cancel(item);
            } else if (owner instanceof Run<?, ?> run) {
                LOGGER.log(
                        Level.WARNING,
                        "{0} waits for agents of template {1}, whose launch failed: {2}",
                        new Object[] {run, template.getLabels(), why});
            }
        }
    }

    private static String pauseKey(WrennAgentTemplate template) {
        return String.valueOf(template.getLabels());
    }

    /** Made on first use: a cloud read from its saved configuration has none yet. */
    private synchronized Map<String, Pause> paused() {
        if (paused == null) {
            paused = new ConcurrentHashMap<>();
        }
        return paused;
    }

    private static String suffix() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            b.append(SUFFIX_ALPHABET.charAt(RANDOM.nextInt(SUFFIX_ALPHABET.length())));
        }
        return b.toString();
    }

    /** Manage Jenkins &gt; Clouds &gt; New cloud &gt; Wrenn, and the form's checks. */
    @Extension
    @Symbol("wrenn")
    public static class DescriptorImpl extends Descriptor<Cloud> {

        @Override
        public String getDisplayName() {
            return Messages.WrennCloud_DisplayName();
        }

        @POST
        public FormValidation doCheckApiUrl(@QueryParameter String value) {
            Jenkins.get().checkPermission(Jenkins.ADMINISTER);
            if (Util.fixEmptyAndTrim(value) == null) {
                return FormValidation.ok(Messages.WrennCloud_ApiUrlDefault(
                        WrennGlobalConfiguration.get().getApiUrl()));
            }
            String problem = WrennGlobalConfiguration.apiUrlProblem(value);
            return problem == null ? FormValidation.ok() : FormValidation.error(problem);
        }

        @POST
        public FormValidation doCheckJenkinsUrl(@QueryParameter String value) {
            Jenkins.get().checkPermission(Jenkins.ADMINISTER);
            String url = Util.fixEmptyAndTrim(value);
            if (url == null) {
                String root = Jenkins.get().getRootUrl();
                return root == null
                        ? FormValidation.error(Messages.WrennCloud_NoJenkinsUrl())
                        : FormValidation.ok(Messages.WrennCloud_JenkinsUrlDefault(root));
            }
            if (!url.startsWith("http://") && !url.startsWith("https://")) {
                return FormValidation.error(Messages.WrennCloud_BadJenkinsUrl());
            }
            if (url.startsWith("http://localhost") || url.startsWith("http://127.")) {
                return FormValidation.warning(Messages.WrennCloud_LoopbackJenkinsUrl());
            }
            return FormValidation.ok();
        }

        @POST
        public ListBoxModel doFillCredentialsIdItems(@QueryParameter String credentialsId) {
            Jenkins.get().checkPermission(Jenkins.ADMINISTER);
            return WrennCredentials.fillDefaultItems(
                    credentialsId, WrennGlobalConfiguration.get().getApiUrl());
        }
    }
}
