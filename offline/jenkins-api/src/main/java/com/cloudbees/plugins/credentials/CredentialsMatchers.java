package com.cloudbees.plugins.credentials;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;

public class CredentialsMatchers {
    private CredentialsMatchers() {}

    @NonNull
    public static CredentialsMatcher always() {
        throw new UnsupportedOperationException("declaration only");
    }

    @NonNull
    public static CredentialsMatcher not(@NonNull CredentialsMatcher matcher) {
        throw new UnsupportedOperationException("declaration only");
    }

    @NonNull
    public static CredentialsMatcher withScope(@NonNull CredentialsScope scope) {
        throw new UnsupportedOperationException("declaration only");
    }

    @NonNull
    public static CredentialsMatcher withId(@NonNull String id) {
        throw new UnsupportedOperationException("declaration only");
    }

    @CheckForNull
    public static <C extends Credentials> C firstOrNull(Iterable<C> credentials, CredentialsMatcher matcher) {
        throw new UnsupportedOperationException("declaration only");
    }
}
