package hudson.util;

import edu.umd.cs.findbugs.annotations.NonNull;

public final class Secret {
    private Secret() {}

    @NonNull
    public native String getPlainText();
}
