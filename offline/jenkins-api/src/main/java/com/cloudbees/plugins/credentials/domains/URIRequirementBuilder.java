package com.cloudbees.plugins.credentials.domains;

import java.util.List;

public class URIRequirementBuilder {
    private URIRequirementBuilder() {}

    public static URIRequirementBuilder fromUri(String uri) {
        throw new UnsupportedOperationException("declaration only");
    }

    public List<DomainRequirement> build() {
        throw new UnsupportedOperationException("declaration only");
    }
}
