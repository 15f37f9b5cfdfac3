package hudson.util;

import java.io.IOException;

public abstract class FormValidation extends IOException {
    private static final long serialVersionUID = 1L;

    public static FormValidation ok() {
        throw new UnsupportedOperationException("declaration only");
    }

    public static FormValidation ok(String message) {
        throw new UnsupportedOperationException("declaration only");
    }

    public static FormValidation error(String message) {
        throw new UnsupportedOperationException("declaration only");
    }

    public static FormValidation warning(String message) {
        throw new UnsupportedOperationException("declaration only");
    }
}
