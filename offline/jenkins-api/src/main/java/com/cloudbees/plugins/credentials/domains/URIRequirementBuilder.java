package com.cloudbees.plugins.credentials.domains;

import java.util.List;

public class URIRequirementBuilder {
    private URIRequirementBuilder() {}

    public static native URIRequirementBuilder fromUri(String uri);

    public native List<DomainRequirement> build();
}
