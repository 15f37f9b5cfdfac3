package hudson.model;

import java.io.Serializable;

public final class Result implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final Result SUCCESS = null;

    private Result() {}

    public native boolean isWorseThan(Result that);
}
