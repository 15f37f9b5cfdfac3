package hudson.util;

import java.io.IOException;

public abstract class FormValidation extends IOException {
    private static final long serialVersionUID = 1L;

    public static native FormValidation ok();

    public static native FormValidation ok(String message);

    public static native FormValidation error(String message);

    public static native FormValidation warning(String message);
}
