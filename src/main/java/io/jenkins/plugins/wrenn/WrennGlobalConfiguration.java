package io.jenkins.plugins.wrenn;

import hudson.Extension;
import hudson.ExtensionList;
import hudson.ProxyConfiguration;
import hudson.Util;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.net.URI;
import java.time.Duration;
import jenkins.model.GlobalConfiguration;
import jenkins.model.Jenkins;
import org.jenkinsci.Symbol;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * The "Wrenn" section of Manage Jenkins &gt; System: where the API is, which credentials to use
 * when a step names none, and how long to wait for a connection. Configuration as Code reads it as
 * {@code unclassified: wrenn: ...}.
 */
@Extension
@Symbol("wrenn")
public class WrennGlobalConfiguration extends GlobalConfiguration {

    private String apiUrl = WrennClient.DEFAULT_BASE_URL.toString();
    private String defaultCredentialsId;
    private int connectTimeoutSeconds = 10;

    public WrennGlobalConfiguration() {
        load();
    }

    public static WrennGlobalConfiguration get() {
        return ExtensionList.lookupSingleton(WrennGlobalConfiguration.class);
    }

    public String getApiUrl() {
        return apiUrl;
    }

    @DataBoundSetter
    public void setApiUrl(String apiUrl) {
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

    @DataBoundSetter
    public void setConnectTimeoutSeconds(int connectTimeoutSeconds) {
        if (connectTimeoutSeconds < 1) {
            throw new IllegalArgumentException(Messages.WrennGlobalConfiguration_ConnectTimeoutPositive());
        }
        this.connectTimeoutSeconds = connectTimeoutSeconds;
        save();
    }

    /** A client for the configured API with this key, going through Jenkins' proxy settings. */
    public WrennClient newClient(String apiKey) {
        return WrennClient.builder(URI.create(apiUrl), apiKey)
                .httpClient(ProxyConfiguration.newHttpClientBuilder())
                .connectTimeout(Duration.ofSeconds(connectTimeoutSeconds))
                .build();
    }

    @POST
    public FormValidation doCheckApiUrl(@QueryParameter String value) {
        Jenkins.get().checkPermission(Jenkins.ADMINISTER);
        String url = Util.fixEmptyAndTrim(value);
        if (url == null) {
            return FormValidation.ok(Messages.WrennGlobalConfiguration_DefaultUrl(WrennClient.DEFAULT_BASE_URL));
        }
        try {
            WrennClient.checkBaseUrl(URI.create(url));
            return FormValidation.ok();
        } catch (IllegalArgumentException e) {
            return FormValidation.error(e.getMessage());
        }
    }

    @POST
    public FormValidation doCheckConnectTimeoutSeconds(@QueryParameter String value) {
        Jenkins.get().checkPermission(Jenkins.ADMINISTER);
        try {
            if (Integer.parseInt(value.strip()) >= 1) {
                return FormValidation.ok();
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        return FormValidation.error(Messages.WrennGlobalConfiguration_ConnectTimeoutPositive());
    }

    @POST
    public ListBoxModel doFillDefaultCredentialsIdItems(@QueryParameter String defaultCredentialsId) {
        return WrennCredentials.fillItems(null, defaultCredentialsId, apiUrl);
    }
}
