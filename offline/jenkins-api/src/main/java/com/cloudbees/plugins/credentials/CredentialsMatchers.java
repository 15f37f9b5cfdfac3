package com.cloudbees.plugins.credentials;

public class CredentialsMatchers {
    private CredentialsMatchers() {}

    public static CredentialsMatcher always() {
        throw new UnsupportedOperationException("declaration only");
    }

    public static CredentialsMatcher not(CredentialsMatcher matcher) {
        throw new UnsupportedOperationException("declaration only");
    }

    public static CredentialsMatcher withScope(CredentialsScope scope) {
        throw new UnsupportedOperationException("declaration only");
    }

    public static CredentialsMatcher withId(String id) {
        throw new UnsupportedOperationException("declaration only");
    }

    public static <C extends Credentials> C firstOrNull(Iterable<C> credentials, CredentialsMatcher matcher) {
        throw new UnsupportedOperationException("declaration only");
    }
}
