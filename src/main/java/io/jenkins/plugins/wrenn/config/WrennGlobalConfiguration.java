package io.jenkins.plugins.wrenn.config;

import hudson.Extension;
import hudson.ExtensionList;
import hudson.ProxyConfiguration;
import hudson.Util;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.FormChecks;
import io.jenkins.plugins.wrenn.WrennCredentials;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.exec.ConnectionCheck;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import jenkins.model.GlobalConfiguration;
import jenkins.model.Jenkins;
import net.sf.json.JSONObject;
import org.jenkinsci.Symbol;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.StaplerRequest2;
import org.kohsuke.stapler.verb.POST;

/**
 * The "Wrenn" section of Manage Jenkins &gt; System: where the API is, which credentials to use
 * when a step names none, and how long to wait for a connection. Configuration as Code reads it as
 * {@code unclassified: wrenn: ...}.
 */
@Extension
@Symbol("wrenn")
public final class WrennGlobalConfiguration extends GlobalConfiguration {

    private String apiUrl = WrennClient.DEFAULT_BASE_URL.toString();
    private String defaultCredentialsId;
    private int connectTimeoutSeconds = 10;

    /** Made once by Jenkins. The class is final: {@code load()} here cannot meet a half-made subclass. */
    public WrennGlobalConfiguration() {
        load();
    }

    public static WrennGlobalConfiguration get() {
        return ExtensionList.lookupSingleton(WrennGlobalConfiguration.class);
    }

    public String getApiUrl() {
        return apiUrl;
    }

    /**
     * Sets the API URL; empty means the hosted service.
     *
     * @throws IllegalArgumentException saying what a valid URL looks like (Configuration as Code
     *     reports it; the web form checks first, see {@link #configure(StaplerRequest2, JSONObject)})
     */
    @DataBoundSetter
    public void setApiUrl(String apiUrl) {
        String problem = apiUrlProblem(apiUrl);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        String url = Util.fixEmptyAndTrim(apiUrl);
        this.apiUrl = url == null
                ? WrennClient.DEFAULT_BASE_URL.toString()
                : WrennClient.checkBaseUrl(URI.create(url)).toString();
        save();
    }

    public String getDefaultCredentialsId() {
        return defaultCredentialsId;
    }

    @DataBoundSetter
    public void setDefaultCredentialsId(String defaultCredentialsId) {
        this.defaultCredentialsId = Util.fixEmptyAndTrim(defaultCredentialsId);
        save();
    }

    public int getConnectTimeoutSeconds() {
        return connectTimeoutSeconds;
    }

    /**
     * Sets how long to wait for a connection.
     *
     * @throws IllegalArgumentException below 1
     */
    @DataBoundSetter
    public void setConnectTimeoutSeconds(int connectTimeoutSeconds) {
        if (connectTimeoutSeconds < 1) {
            throw new IllegalArgumentException(Messages.WrennGlobalConfiguration_ConnectTimeoutPositive());
        }
        this.connectTimeoutSeconds = connectTimeoutSeconds;
        save();
    }

    /**
     * Rejects an invalid submission of the form with a message at the field, before any value
     * changes, so the saved configuration stays as it was (the setters alone would fail half way).
     */
    @Override
    public boolean configure(StaplerRequest2 req, JSONObject json) throws FormException {
        String urlProblem = apiUrlProblem(json.optString("apiUrl"));
        if (urlProblem != null) {
            throw new FormException(urlProblem, "apiUrl");
        }
        String timeoutProblem = connectTimeoutProblem(json.optString("connectTimeoutSeconds"));
        if (timeoutProblem != null) {
            throw new FormException(timeoutProblem, "connectTimeoutSeconds");
        }
        req.bindJSON(this, json);
        return true;
    }

    /** What is wrong with an API URL as typed, in the user's words; null when it is fine or empty. */
    @Restricted(NoExternalUse.class)
    public static String apiUrlProblem(String value) {
        String url = Util.fixEmptyAndTrim(value);
        if (url == null) {
            return null;
        }
        try {
            URI uri = URI.create(url);
            if (uri.getRawUserInfo() != null) {
                return Messages.WrennGlobalConfiguration_ApiUrlUserInfo();
            }
            WrennClient.checkBaseUrl(uri);
            return null;
        } catch (IllegalArgumentException e) {
            return Messages.WrennGlobalConfiguration_BadApiUrl(WrennClient.DEFAULT_BASE_URL);
        }
    }

    /** What is wrong with a connect timeout as typed; null when it is a whole number, 1 or more. */
    static String connectTimeoutProblem(String value) {
        try {
            if (value != null && Integer.parseInt(value.strip()) >= 1) {
                return null;
            }
        } catch (NumberFormatException e) {
            // not a whole number: the same answer as for 0
        }
        return Messages.WrennGlobalConfiguration_ConnectTimeoutPositive();
    }

    /** A client for the configured API with this key, going through Jenkins' proxy settings. */
    public WrennClient newClient(String apiKey) {
        return client(apiUrl, connectTimeoutSeconds, apiKey);
    }

    private static WrennClient client(String url, int connectTimeoutSeconds, String apiKey) {
        return WrennClient.builder(URI.create(url), apiKey)
                .httpClient(ProxyConfiguration.newHttpClientBuilder())
                .connectTimeout(Duration.ofSeconds(connectTimeoutSeconds))
                .build();
    }

    /**
     * The section's <em>Test connection</em>: the URL, key and timeout as typed (before they are
     * saved) reach the API and the key is accepted; no capsule is needed. Administrators only.
     */
    @POST
    public FormValidation doTestConnection(
            @QueryParameter String apiUrl,
            @QueryParameter String defaultCredentialsId,
            @QueryParameter String connectTimeoutSeconds)
            throws InterruptedException {
        Jenkins.get().checkPermission(Jenkins.ADMINISTER);
        String urlProblem = apiUrlProblem(apiUrl);
        if (urlProblem != null) {
            return FormValidation.error(urlProblem);
        }
        String id = Util.fixEmptyAndTrim(defaultCredentialsId);
        if (id == null) {
            return FormValidation.error(Messages.WrennGlobalConfiguration_TestNeedsCredentials());
        }
        String typed = Util.fixEmptyAndTrim(apiUrl);
        String url = typed == null
                ? WrennClient.DEFAULT_BASE_URL.toString()
                : WrennClient.checkBaseUrl(URI.create(typed)).toString();
        String apiKey = WrennCredentials.apiKeyForTest(null, id, url);
        if (apiKey == null) {
            return FormValidation.error(io.jenkins.plugins.wrenn.Messages.WrennCredentials_NotFound(id));
        }
        int timeout = connectTimeoutProblem(connectTimeoutSeconds) == null
                ? Integer.parseInt(connectTimeoutSeconds.strip())
                : this.connectTimeoutSeconds;
        try (WrennClient client = client(url, timeout, apiKey)) {
            return FormChecks.shown(ConnectionCheck.api(client, id));
        }
    }

    @POST
    public FormValidation doCheckApiUrl(@QueryParameter String value) {
        if (!Jenkins.get().hasPermission(Jenkins.ADMINISTER)) {
            return FormValidation.ok();
        }
        if (Util.fixEmptyAndTrim(value) == null) {
            return FormValidation.ok(Messages.WrennGlobalConfiguration_DefaultUrl(WrennClient.DEFAULT_BASE_URL));
        }
        String problem = apiUrlProblem(value);
        if (problem != null) {
            return FormValidation.error(problem);
        }
        String warning = apiUrlWarning(value);
        return warning == null ? FormValidation.ok() : FormValidation.warning(warning);
    }

    /**
     * A valid URL that sends the key unencrypted to another machine: allowed (a server on an
     * internal network may speak only HTTP), but said; null otherwise.
     */
    static String apiUrlWarning(String value) {
        String url = Util.fixEmptyAndTrim(value);
        if (url == null || apiUrlProblem(url) != null) {
            return null;
        }
        URI uri = URI.create(url);
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        boolean loopback =
                host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
        return "http".equalsIgnoreCase(uri.getScheme()) && !loopback
                ? Messages.WrennGlobalConfiguration_PlainHttp(uri.getHost())
                : null;
    }

    @POST
    public FormValidation doCheckConnectTimeoutSeconds(@QueryParameter String value) {
        if (!Jenkins.get().hasPermission(Jenkins.ADMINISTER)) {
            return FormValidation.ok();
        }
        String problem = connectTimeoutProblem(value);
        return problem == null ? FormValidation.ok() : FormValidation.error(problem);
    }

    @POST
    public ListBoxModel doFillDefaultCredentialsIdItems(@QueryParameter String defaultCredentialsId) {
        return WrennCredentials.fillDefaultItems(defaultCredentialsId, apiUrl);
    }
}
