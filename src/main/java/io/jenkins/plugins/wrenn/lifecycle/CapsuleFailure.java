package io.jenkins.plugins.wrenn.lifecycle;

/**
 * The capsule could not be had, or could not be given back. The message is for the build log:
 * what happened and what to do.
 */
public final class CapsuleFailure extends Exception {

    private static final long serialVersionUID = 1L;

    public CapsuleFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
