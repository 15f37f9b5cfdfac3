package io.jenkins.plugins.wrenn.cloud;

import hudson.Extension;
import hudson.Util;
import hudson.model.AbstractDescribableImpl;
import hudson.model.Descriptor;
import hudson.model.Label;
import hudson.model.labels.LabelAtom;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.agents.TemplateSettings;
import io.jenkins.plugins.wrenn.lifecycle.KeepPolicy;
import java.io.Serializable;
import java.util.Set;
import jenkins.model.Jenkins;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * An administrator's recipe for Wrenn agents: the labels builds ask for, and the capsule and
 * agent that serve them. Each agent made from it takes one build in a fresh capsule. Saved with
 * each agent (serializable, as the agent is), so that a changed cloud does not change an agent
 * that runs.
 */
public class WrennAgentTemplate extends AbstractDescribableImpl<WrennAgentTemplate> implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The agent's root directory unless the template says otherwise: in the capsule user's home. */
    static final String DEFAULT_REMOTE_ROOT = TemplateSettings.DEFAULT_REMOTE_ROOT;

    /** How long an agent may take to connect once started, unless the template says otherwise. */
    static final int DEFAULT_CONNECT_TIMEOUT = 120;

    /** Minutes an agent with nothing to do stays before it is removed, unless the template says otherwise. */
    static final int DEFAULT_IDLE_MINUTES = 1;

    private final String labels;
    private String template;
    private int vcpus;
    private int memoryMb;
    private String remoteRoot;
    private int idleMinutes = DEFAULT_IDLE_MINUTES;
    private int connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private String javaCommand;
    private String keep;
    private boolean allowOverrides;

    /** @param labels the labels builds ask for, separated by spaces, e.g. {@code wrenn python} */
    @DataBoundConstructor
    public WrennAgentTemplate(String labels) {
        this.labels = Util.fixEmptyAndTrim(labels);
    }

    public String getLabels() {
        return labels;
    }

    public String getTemplate() {
        return template;
    }

    /** The Wrenn template or snapshot the capsule is made from; empty for the server's default. */
    @DataBoundSetter
    public void setTemplate(String template) {
        this.template = Util.fixEmptyAndTrim(template);
    }

    public int getVcpus() {
        return vcpus;
    }

    @DataBoundSetter
    public void setVcpus(int vcpus) {
        this.vcpus = Math.max(0, vcpus);
    }

    public int getMemoryMb() {
        return memoryMb;
    }

    @DataBoundSetter
    public void setMemoryMb(int memoryMb) {
        this.memoryMb = Math.max(0, memoryMb);
    }

    public String getRemoteRoot() {
        return remoteRoot;
    }

    @DataBoundSetter
    public void setRemoteRoot(String remoteRoot) {
        this.remoteRoot = Util.fixEmptyAndTrim(remoteRoot);
    }

    /** The root directory the agent works in: the template's, or {@link #DEFAULT_REMOTE_ROOT}. */
    String effectiveRemoteRoot() {
        return remoteRoot == null ? DEFAULT_REMOTE_ROOT : remoteRoot;
    }

    /** Always 1: a capsule serves one build. Shown in the form so that nobody has to guess. */
    public int getNumExecutors() {
        return 1;
    }

    public int getIdleMinutes() {
        return idleMinutes;
    }

    @DataBoundSetter
    public void setIdleMinutes(int idleMinutes) {
        this.idleMinutes = idleMinutes < 1 ? DEFAULT_IDLE_MINUTES : idleMinutes;
    }

    public int getConnectTimeout() {
        return connectTimeout;
    }

    @DataBoundSetter
    public void setConnectTimeout(int connectTimeout) {
        this.connectTimeout = connectTimeout < 1 ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
    }

    public String getJavaCommand() {
        return javaCommand;
    }

    /** The JVM in the image; empty for {@code java} on the capsule user's PATH. */
    @DataBoundSetter
    public void setJavaCommand(String javaCommand) {
        this.javaCommand = Util.fixEmptyAndTrim(javaCommand);
    }

    /** {@code onFailure} or {@code always}; null for never (the default). */
    public String getKeep() {
        KeepPolicy policy = keepPolicy();
        return policy == KeepPolicy.NEVER ? null : policy.token();
    }

    /**
     * Sets when an agent's capsule is kept, paused, when its build is done.
     *
     * @throws IllegalArgumentException naming the words the option takes
     */
    @DataBoundSetter
    public void setKeep(String keep) {
        this.keep = KeepPolicy.parse(keep).token();
    }

    KeepPolicy keepPolicy() {
        return KeepPolicy.parse(keep);
    }

    public boolean isAllowOverrides() {
        return allowOverrides;
    }

    /**
     * Whether a Jenkinsfile that starts from this template ({@code agent { wrenn { ... } }}, {@code
     * wrennAgent}) may change its capsule and agent settings (off: templates are the administrator's).
     */
    @DataBoundSetter
    public void setAllowOverrides(boolean allowOverrides) {
        this.allowOverrides = allowOverrides;
    }

    /** This template's settings, defaults filled in, as the rules of Jenkinsfile overrides read them. */
    TemplateSettings settings() {
        return new TemplateSettings(
                labels,
                template,
                vcpus,
                memoryMb,
                remoteRoot,
                idleMinutes,
                connectTimeout,
                javaCommand,
                keepPolicy(),
                allowOverrides);
    }

    /** A template with these settings: a Jenkinsfile's, made from an administrator's. */
    static WrennAgentTemplate of(TemplateSettings settings) {
        WrennAgentTemplate t = new WrennAgentTemplate(settings.labels());
        t.setTemplate(settings.template());
        t.setVcpus(settings.vcpus());
        t.setMemoryMb(settings.memoryMb());
        t.setRemoteRoot(settings.remoteRoot());
        t.setIdleMinutes(settings.idleMinutes());
        t.setConnectTimeout(settings.connectTimeout());
        t.setJavaCommand(settings.javaCommand());
        t.setKeep(settings.keep().token());
        t.setAllowOverrides(settings.allowOverrides());
        return t;
    }

    /** The labels as Jenkins reads them. */
    Set<LabelAtom> labelSet() {
        return Label.parse(labels);
    }

    /** Whether builds that ask for this label may run on agents of this template; a build that asks for none may not. */
    boolean matches(Label label) {
        return label != null && labels != null && label.matches(labelSet());
    }

    /** The first label, which names the agents of this template. */
    String namePrefix() {
        String first = labels == null ? "" : labels.split("\\s+")[0];
        String safe = first.replaceAll("[^A-Za-z0-9_.-]", "-");
        return "wrenn-" + (safe.isEmpty() ? "agent" : safe);
    }

    /** The template's form: checks of each field. */
    @Extension
    public static class DescriptorImpl extends Descriptor<WrennAgentTemplate> {

        @Override
        public String getDisplayName() {
            return Messages.WrennAgentTemplate_DisplayName();
        }

        @POST
        public FormValidation doCheckLabels(@QueryParameter String value) {
            Jenkins.get().checkPermission(Jenkins.ADMINISTER);
            if (Util.fixEmptyAndTrim(value) == null) {
                return FormValidation.error(Messages.WrennAgentTemplate_LabelsRequired());
            }
            return FormValidation.ok();
        }

        @POST
        public FormValidation doCheckVcpus(@QueryParameter String value) {
            Jenkins.get().checkPermission(Jenkins.ADMINISTER);
            return wholeNumber(value, Messages.WrennAgentTemplate_Vcpus());
        }

        @POST
        public FormValidation doCheckMemoryMb(@QueryParameter String value) {
            Jenkins.get().checkPermission(Jenkins.ADMINISTER);
            return wholeNumber(value, Messages.WrennAgentTemplate_Memory());
        }

        @POST
        public FormValidation doCheckIdleMinutes(@QueryParameter String value) {
            Jenkins.get().checkPermission(Jenkins.ADMINISTER);
            return wholeNumber(value, Messages.WrennAgentTemplate_IdleMinutes());
        }

        @POST
        public FormValidation doCheckConnectTimeout(@QueryParameter String value) {
            Jenkins.get().checkPermission(Jenkins.ADMINISTER);
            return wholeNumber(value, Messages.WrennAgentTemplate_ConnectTimeout());
        }

        @POST
        public ListBoxModel doFillKeepItems() {
            Jenkins.get().checkPermission(Jenkins.ADMINISTER);
            ListBoxModel model = new ListBoxModel();
            model.add(Messages.WrennAgentTemplate_KeepNever(), "");
            model.add(Messages.WrennAgentTemplate_KeepOnFailure(), KeepPolicy.ON_FAILURE.token());
            model.add(Messages.WrennAgentTemplate_KeepAlways(), KeepPolicy.ALWAYS.token());
            return model;
        }
    }

    /** Empty, or a whole number of 0 or more; the field is named in the error. */
    static FormValidation wholeNumber(String value, String field) {
        String v = Util.fixEmptyAndTrim(value);
        if (v == null) {
            return FormValidation.ok();
        }
        try {
            if (Integer.parseInt(v) >= 0) {
                return FormValidation.ok();
            }
        } catch (NumberFormatException e) {
            // said below
        }
        return FormValidation.error(Messages.WrennAgentTemplate_NotAWholeNumber(field));
    }
}
