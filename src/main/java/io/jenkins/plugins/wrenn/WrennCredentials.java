package io.jenkins.plugins.wrenn;

import com.cloudbees.plugins.credentials.CredentialsMatchers;
import com.cloudbees.plugins.credentials.CredentialsProvider;
import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.common.IdCredentials;
import com.cloudbees.plugins.credentials.common.StandardListBoxModel;
import com.cloudbees.plugins.credentials.domains.DomainRequirement;
import com.cloudbees.plugins.credentials.domains.URIRequirementBuilder;
import hudson.AbortException;
import hudson.Util;
import hudson.model.Item;
import hudson.model.Queue;
import hudson.model.Run;
import hudson.model.queue.Tasks;
import hudson.security.ACL;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import java.util.List;
import jenkins.model.Jenkins;
import org.jenkinsci.plugins.plaincredentials.StringCredentials;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;

/**
 * Finds the Wrenn API key: a Secret text credential, chosen by id on the step or else by the
 * global default. The secret is read only here, to build the request header.
 */
@Restricted(NoExternalUse.class)
public final class WrennCredentials {

    private WrennCredentials() {}

    /** The id a step uses: its own, else the global default; null when neither is set. */
    public static String effectiveId(String stepCredentialsId) {
        String id = Util.fixEmptyAndTrim(stepCredentialsId);
        return id != null ? id : WrennGlobalConfiguration.get().getDefaultCredentialsId();
    }

    private static List<DomainRequirement> requirements(String apiUrl) {
        return URIRequirementBuilder.fromUri(apiUrl).build();
    }

    /**
     * Looks the key up for a build; the lookup records that the build used the credentials.
     *
     * @throws AbortException naming the id when it is missing, unknown, or not Secret text
     */
    static String apiKey(String credentialsId, Run<?, ?> run) throws AbortException {
        if (credentialsId == null) {
            throw new AbortException(Messages.WrennCredentials_NoId());
        }
        List<DomainRequirement> reqs =
                requirements(WrennGlobalConfiguration.get().getApiUrl());
        StringCredentials secret =
                CredentialsProvider.findCredentialById(credentialsId, StringCredentials.class, run, reqs);
        if (secret != null) {
            return secret.getSecret().getPlainText();
        }
        if (CredentialsProvider.findCredentialById(credentialsId, IdCredentials.class, run, reqs) != null) {
            throw new AbortException(Messages.WrennCredentials_WrongType(credentialsId));
        }
        throw new AbortException(Messages.WrennCredentials_NotFound(credentialsId));
    }

    /**
     * The credentials drop-down of a step. The empty choice means the global default, so it is
     * named after it when one is set. Without the right to see credentials it shows only the
     * current value, so the form reveals nothing, not even the default's id.
     */
    public static ListBoxModel fillItems(Item item, String current) {
        String apiUrl = WrennGlobalConfiguration.get().getApiUrl();
        StandardListBoxModel model = new StandardListBoxModel();
        boolean maySee = item == null
                ? Jenkins.get().hasPermission(Jenkins.ADMINISTER)
                : item.hasPermission(Item.EXTENDED_READ) || item.hasPermission(CredentialsProvider.USE_ITEM);
        String defaultId = WrennGlobalConfiguration.get().getDefaultCredentialsId();
        if (maySee && defaultId != null) {
            model.add(Messages.WrennCredentials_DefaultChoice(defaultId), "");
        }
        return fill(model, maySee, item, current, apiUrl);
    }

    /** The drop-down of the global default: only administrators see the credentials. */
    public static ListBoxModel fillDefaultItems(String current, String apiUrl) {
        return fill(new StandardListBoxModel(), Jenkins.get().hasPermission(Jenkins.ADMINISTER), null, current, apiUrl);
    }

    private static ListBoxModel fill(
            StandardListBoxModel model, boolean maySee, Item item, String current, String apiUrl) {
        String value = current == null ? "" : current;
        if (!maySee) {
            model.includeCurrentValue(value);
            return model;
        }
        // Offer what a build could use: the build's own identity in a job (Authorize Project may
        // narrow it), and no SYSTEM-scoped credentials at the top level, which builds never see.
        model.includeEmptyValue()
                .includeMatchingAs(
                        item instanceof Queue.Task task ? Tasks.getAuthenticationOf2(task) : ACL.SYSTEM2,
                        item,
                        StringCredentials.class,
                        requirements(apiUrl),
                        item == null
                                ? CredentialsMatchers.not(CredentialsMatchers.withScope(CredentialsScope.SYSTEM))
                                : CredentialsMatchers.always())
                .includeCurrentValue(value);
        return model;
    }

    /** The key for a "Test connection" click, looked up as the system in the item's context. */
    public static String apiKeyForTest(Item item, String credentialsId) {
        return apiKeyForTest(item, credentialsId, WrennGlobalConfiguration.get().getApiUrl());
    }

    /**
     * The same for an API URL that is not saved yet (the System section's button); a null item is
     * Jenkins itself.
     */
    public static String apiKeyForTest(Item item, String credentialsId, String apiUrl) {
        List<StringCredentials> all = CredentialsProvider.lookupCredentialsInItem(
                StringCredentials.class, item, ACL.SYSTEM2, requirements(apiUrl));
        StringCredentials found = CredentialsMatchers.firstOrNull(all, CredentialsMatchers.withId(credentialsId));
        return found == null ? null : found.getSecret().getPlainText();
    }
}
