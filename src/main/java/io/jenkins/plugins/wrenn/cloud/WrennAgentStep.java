package io.jenkins.plugins.wrenn.cloud;

import hudson.AbortException;
import hudson.Extension;
import hudson.Util;
import hudson.model.Run;
import hudson.model.TaskListener;
import io.jenkins.plugins.wrenn.agents.TemplateInheritance;
import io.jenkins.plugins.wrenn.agents.TemplateRequest;
import io.jenkins.plugins.wrenn.agents.TemplateRequestException;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import org.jenkinsci.plugins.workflow.steps.BodyExecutionCallback;
import org.jenkinsci.plugins.workflow.steps.EnvironmentExpander;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * {@code wrennAgent(inheritFrom: 'python', vcpus: 4) { node(WRENN_AGENT_LABEL) { ... } }}: agents
 * made from an administrator's agent template with this Jenkinsfile's settings, where the
 * template allows them ({@link TemplateInheritance}). For the body, the cloud has one more
 * template, under a label of this block only ({@code env.WRENN_AGENT_LABEL}); each {@code node}
 * of that label gets a fresh capsule, made, counted, recorded and given back as every agent of
 * the cloud. The template is removed when the body ends, and put back when a restarted controller
 * resumes the body. Declarative's {@code agent { wrenn { ... } }} runs its stages in this step.
 */
public class WrennAgentStep extends Step {

    /** The environment variable that holds the label of the block's agents. */
    public static final String ENV_LABEL = "WRENN_AGENT_LABEL";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SUFFIX_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

    private String cloud;
    private String inheritFrom;
    private String template;
    private int vcpus;
    private int memoryMb;
    private String remoteRoot;
    private int connectTimeout;
    private String javaCommand;
    private KeepPolicy keep;

    @DataBoundConstructor
    public WrennAgentStep() {}

    public String getCloud() {
        return cloud;
    }

    /** The Wrenn cloud whose agent templates to start from; empty for every Wrenn cloud, in order. */
    @DataBoundSetter
    public void setCloud(String cloud) {
        this.cloud = Util.fixEmptyAndTrim(cloud);
    }

    public String getInheritFrom() {
        return inheritFrom;
    }

    /** One of the labels of the agent template to start from. */
    @DataBoundSetter
    public void setInheritFrom(String inheritFrom) {
        this.inheritFrom = Util.fixEmptyAndTrim(inheritFrom);
    }

    public String getTemplate() {
        return template;
    }

    /** The Wrenn template; without {@code inheritFrom}, it also picks the agent template that uses it. */
    @DataBoundSetter
    public void setTemplate(String template) {
        this.template = Util.fixEmptyAndTrim(template);
    }

    public int getVcpus() {
        return vcpus;
    }

    @DataBoundSetter
    public void setVcpus(int vcpus) {
        this.vcpus = vcpus;
    }

    public int getMemoryMb() {
        return memoryMb;
    }

    @DataBoundSetter
    public void setMemoryMb(int memoryMb) {
        this.memoryMb = memoryMb;
    }

    public String getRemoteRoot() {
        return remoteRoot;
    }

    @DataBoundSetter
    public void setRemoteRoot(String remoteRoot) {
        this.remoteRoot = Util.fixEmptyAndTrim(remoteRoot);
    }

    public int getConnectTimeout() {
        return connectTimeout;
    }

    @DataBoundSetter
    public void setConnectTimeout(int connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public String getJavaCommand() {
        return javaCommand;
    }

    @DataBoundSetter
    public void setJavaCommand(String javaCommand) {
        this.javaCommand = Util.fixEmptyAndTrim(javaCommand);
    }

    /** {@code never}, {@code onFailure} or {@code always}; null (shown as nothing) for the template's. */
    public String getKeep() {
        return keep == null ? null : keep.token();
    }

    /**
     * Sets when the agents' capsules are kept, paused; empty keeps the template's.
     *
     * @throws IllegalArgumentException naming the words the option takes
     */
    @DataBoundSetter
    public void setKeep(String keep) {
        this.keep = Util.fixEmptyAndTrim(keep) == null ? null : KeepPolicy.parse(keep);
    }

    TemplateRequest request() {
        return new TemplateRequest(
                cloud, inheritFrom, template, vcpus, memoryMb, remoteRoot, connectTimeout, javaCommand, keep);
    }

    /**
     * Finds the agent template to start from before anything else happens: a Jenkinsfile asking
     * for what it may not have fails here, with a message naming the field and the template.
     */
    @Override
    public StepExecution start(StepContext context) throws Exception {
        TemplateInheritance.Inherited inherited;
        try {
            inherited = TemplateInheritance.resolve(WrennCloud.allTemplates(), request());
        } catch (TemplateRequestException e) {
            throw new AbortException(e.getMessage());
        }
        Run<?, ?> run = context.get(Run.class);
        String firstLabel = inherited.base().labelList().stream().findFirst().orElse("");
        String label = TemplateInheritance.label(firstLabel, run.getParent().getFullName(), run.getNumber(), suffix());
        return new Execution(
                context,
                inherited.cloud(),
                WrennAgentTemplate.of(inherited.settings().withLabels(label)),
                inherited.note(label));
    }

    private static String suffix() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            b.append(SUFFIX_ALPHABET.charAt(RANDOM.nextInt(SUFFIX_ALPHABET.length())));
        }
        return b.toString();
    }

    /**
     * Adds the block's template to its cloud for the body, with the body's callback to remove it.
     * Everything it needs after a restart is in its fields: the resumed body's callback still
     * removes the template, and {@link #onResume} puts it back meanwhile.
     */
    static final class Execution extends StepExecution {

        private static final long serialVersionUID = 1L;

        private final String cloud;
        private final WrennAgentTemplate template;
        private final String note;

        Execution(StepContext context, String cloud, WrennAgentTemplate template, String note) {
            super(context);
            this.cloud = cloud;
            this.template = template;
            this.note = note;
        }

        @Override
        public boolean start() throws Exception {
            StepContext context = getContext();
            PipelineAgentTemplates.get().add(cloud, template);
            context.get(TaskListener.class).getLogger().println(note);
            context.newBodyInvoker()
                    .withContext(EnvironmentExpander.merge(
                            context.get(EnvironmentExpander.class),
                            EnvironmentExpander.constant(Map.of(ENV_LABEL, template.getLabels()))))
                    .withCallback(new Forget(cloud, template.getLabels()))
                    .start();
            return false;
        }

        /** The templates of running blocks are not saved: a resumed block puts its own back. */
        @Override
        public void onResume() {
            PipelineAgentTemplates.get().add(cloud, template);
        }
    }

    /** Removes the block's template when its body ends, however it ends. */
    static final class Forget extends BodyExecutionCallback.TailCall {

        private static final long serialVersionUID = 1L;

        private final String cloud;
        private final String labels;

        Forget(String cloud, String labels) {
            this.cloud = cloud;
            this.labels = labels;
        }

        @Override
        protected void finished(StepContext context) {
            PipelineAgentTemplates.get().remove(cloud, labels);
        }
    }

    /** The step's name, its block, and the Snippet Generator's form. */
    @Extension
    public static class DescriptorImpl extends StepDescriptor {

        @Override
        public String getFunctionName() {
            return "wrennAgent";
        }

        @Override
        public String getDisplayName() {
            return Messages.WrennAgentStep_DescriptorImpl_DisplayName();
        }

        @Override
        public boolean takesImplicitBlockArgument() {
            return true;
        }

        @Override
        public Set<? extends Class<?>> getRequiredContext() {
            return Set.of(Run.class, TaskListener.class);
        }
    }
}
