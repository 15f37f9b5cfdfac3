package com.cloudbees.plugins.credentials;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;

public class CredentialsMatchers {
    private CredentialsMatchers() {}

    @NonNull
    public static native CredentialsMatcher always();

    @NonNull
    public static native CredentialsMatcher not(@NonNull CredentialsMatcher matcher);

    @NonNull
    public static native CredentialsMatcher withScope(@NonNull CredentialsScope scope);

    @NonNull
    public static native CredentialsMatcher withId(@NonNull String id);

    @CheckForNull
    public static native <C extends Credentials> C firstOrNull(Iterable<C> credentials, CredentialsMatcher matcher);
}
