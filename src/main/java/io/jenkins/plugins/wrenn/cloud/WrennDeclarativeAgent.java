package io.jenkins.plugins.wrenn.cloud;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.Extension;
import hudson.Util;
import java.util.Map;
import java.util.TreeMap;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.pipeline.modeldefinition.agent.DeclarativeAgentDescriptor;
import org.jenkinsci.plugins.pipeline.modeldefinition.agent.RetryableDeclarativeAgent;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * Declarative's {@code agent { wrenn { inheritFrom 'python'; vcpus 4 } }}: the stages run on a
 * fresh capsule made from an administrator's agent template, with this Jenkinsfile's settings
 * where the template allows them. Its script ({@code WrennDeclarativeAgentScript.groovy}) runs
 * them in {@link WrennAgentStep} and {@code node}, so the rules, the agents and their clean-up are
 * the step's. Besides the step's fields it takes Declarative's own {@code retries} (inherited: an
 * agent lost mid-build runs the block again on a fresh capsule) and {@code customWorkspace}, which
 * stay in the script. Only this class and its script use Pipeline: Declarative, an optional dependency:
 * without it, its descriptor (an optional extension) is not loaded and nothing else refers to it.
 */
public class WrennDeclarativeAgent extends RetryableDeclarativeAgent<WrennDeclarativeAgent> {

    private static final long serialVersionUID = 1L;

    private String cloud;
    private String inheritFrom;
    private String template;
    private int vcpus;
    private int memoryMb;
    private String remoteRoot;
    private int connectTimeout;
    private String javaCommand;
    private String keep;
    private String customWorkspace;

    @DataBoundConstructor
    public WrennDeclarativeAgent() {}

    public String getCloud() {
        return cloud;
    }

    @DataBoundSetter
    public void setCloud(String cloud) {
        this.cloud = Util.fixEmptyAndTrim(cloud);
    }

    public String getInheritFrom() {
        return inheritFrom;
    }

    @DataBoundSetter
    public void setInheritFrom(String inheritFrom) {
        this.inheritFrom = Util.fixEmptyAndTrim(inheritFrom);
    }

    public String getTemplate() {
        return template;
    }

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

    public String getKeep() {
        return keep;
    }

    /** Checked by the step, which says which words it takes. */
    @DataBoundSetter
    public void setKeep(String keep) {
        this.keep = Util.fixEmptyAndTrim(keep);
    }

    public String getCustomWorkspace() {
        return customWorkspace;
    }

    /** Where in the agent the stages run, as Declarative's {@code label} agent takes it. */
    @DataBoundSetter
    public void setCustomWorkspace(String customWorkspace) {
        this.customWorkspace = Util.fixEmptyAndTrim(customWorkspace);
    }

    /** The arguments of {@code wrennAgent} for the script: only what the Jenkinsfile set. */
    public Map<String, Object> getAsArgs() {
        Map<String, Object> args = new TreeMap<>();
        putIfSet(args, "cloud", cloud);
        putIfSet(args, "inheritFrom", inheritFrom);
        putIfSet(args, "template", template);
        putIfSet(args, "vcpus", vcpus);
        putIfSet(args, "memoryMb", memoryMb);
        putIfSet(args, "remoteRoot", remoteRoot);
        putIfSet(args, "connectTimeout", connectTimeout);
        putIfSet(args, "javaCommand", javaCommand);
        putIfSet(args, "keep", keep);
        return args;
    }

    private static void putIfSet(Map<String, Object> args, String name, String value) {
        if (value != null) {
            args.put(name, value);
        }
    }

    /** Negative numbers are passed on, for the step to refuse by name. */
    private static void putIfSet(Map<String, Object> args, String name, int value) {
        if (value != 0) {
            args.put(name, value);
        }
    }

    /**
     * {@code wrenn} in Declarative's {@code agent} block and in its Directive Generator. Optional:
     * without Pipeline: Declarative its superclass is missing, and Jenkins skips it instead of
     * failing to load the plugin.
     */
    @Extension(optional = true)
    @Symbol("wrenn")
    public static final class DescriptorImpl extends DeclarativeAgentDescriptor<WrennDeclarativeAgent> {

        public DescriptorImpl() {
            for (String field : new String[] {
                "cloud",
                "inheritFrom",
                "template",
                "vcpus",
                "memoryMb",
                "remoteRoot",
                "connectTimeout",
                "javaCommand",
                "keep"
            }) {
                addHelpFileRedirect(field, WrennAgentStep.class, field);
            }
        }

        @NonNull
        @Override
        public String getDisplayName() {
            return Messages.WrennDeclarativeAgent_DescriptorImpl_DisplayName();
        }
    }
}
