package io.jenkins.plugins.wrenn.ownership;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Whose a capsule is: this Jenkins, the build, and the record kept for it on the controller. Put
 * on the capsule as labels (metadata) at create; newer servers keep them and show them in every
 * listing, so that the capsule can be recognised even when nothing else is known of it.
 *
 * <p>The server takes at most 20 keys of the form {@code [a-zA-Z0-9][a-zA-Z0-9._-]{0,63}}, values
 * of at most 64 characters, and refuses its own system keys ({@code kernel_version},
 * {@code vmm_version}, {@code agent_version}, {@code envd_version}); these five keys fit.
 *
 * @param instanceId a stable id of this Jenkins (not its URL, which changes)
 * @param job the job's full name
 * @param build the build number
 * @param recordId the id of the controller-side record of this capsule
 */
public record OwnerTag(String instanceId, String job, int build, String recordId) {

    /** The label that marks a capsule as made by this plugin. */
    public static final String CREATED_BY = "created-by";

    /** Its value. */
    public static final String PLUGIN = "jenkins-wrenn-plugin";

    public static final String INSTANCE = "jenkins.instance";
    public static final String JOB = "jenkins.job";
    public static final String BUILD = "jenkins.build";
    public static final String RECORD = "jenkins.record";

    /** The longest value the server takes, in characters. */
    static final int MAX_VALUE = 64;

    /** The labels to create the capsule with. */
    public Map<String, String> labels() {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(CREATED_BY, PLUGIN);
        labels.put(INSTANCE, fit(instanceId));
        labels.put(JOB, fit(job));
        labels.put(BUILD, Integer.toString(build));
        labels.put(RECORD, fit(recordId));
        return labels;
    }

    /** Whether these labels say that this plugin, on the Jenkins of this id, created the capsule. */
    public static boolean mine(Map<String, String> labels, String instanceId) {
        return PLUGIN.equals(labels.get(CREATED_BY)) && fit(instanceId).equals(labels.get(INSTANCE));
    }

    /**
     * A value cut to what the server takes, counted in characters as the server counts them (code
     * points): a long job name keeps its end, which names the job itself, after an ellipsis.
     */
    static String fit(String value) {
        String v = value == null ? "" : value;
        int length = v.codePointCount(0, v.length());
        if (length <= MAX_VALUE) {
            return v;
        }
        int from = v.offsetByCodePoints(0, length - (MAX_VALUE - 1));
        return "\u2026" + v.substring(from);
    }
}
