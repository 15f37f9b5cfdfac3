package io.jenkins.plugins.wrenn.files;

import java.io.IOException;

/** A transfer that did not complete, with a message for the build log that names the path involved. */
public final class TransferException extends IOException {

    private static final long serialVersionUID = 1L;

    public TransferException(String message) {
        super(message);
    }

    public TransferException(String message, Throwable cause) {
        super(message, cause);
    }
}
