package com.cloudbees.plugins.credentials;

import com.cloudbees.plugins.credentials.common.IdCredentials;
import com.cloudbees.plugins.credentials.domains.DomainRequirement;
import hudson.model.Item;
import hudson.model.Run;
import hudson.security.Permission;
import java.util.List;
import org.springframework.security.core.Authentication;

public abstract class CredentialsProvider {
    public static final Permission USE_ITEM = null;

    public static native <C extends IdCredentials> C findCredentialById(
            String id, Class<C> type, Run<?, ?> run, List<DomainRequirement> domainRequirements);

    public static native <C extends Credentials> List<C> lookupCredentialsInItem(
            Class<C> type, Item item, Authentication authentication, List<DomainRequirement> domainRequirements);
}
