package io.jenkins.plugins.wrenn.lifecycle;

import java.util.Locale;

/** When a capsule the build created is kept, paused, instead of being destroyed at the end. */
public enum KeepPolicy {
    /** Always destroyed (the default). */
    NEVER("never"),
    /** Kept when the body failed or was aborted, so that it can be looked at; destroyed otherwise. */
    ON_FAILURE("onFailure"),
    /** Always kept. */
    ALWAYS("always");

    private final String token;

    KeepPolicy(String token) {
        this.token = token;
    }

    /** The word the step's {@code keep} option takes. */
    public String token() {
        return token;
    }

    /** Whether a body that ended so keeps its capsule. */
    public boolean keeps(boolean bodyFailed) {
        return this == ALWAYS || (this == ON_FAILURE && bodyFailed);
    }

    /**
     * Reads the {@code keep} option: {@code never}, {@code onFailure} or {@code always} in any
     * case, and {@code true} or {@code false} as the option was once a boolean; empty is never.
     *
     * @throws IllegalArgumentException naming the option and the words it takes
     */
    public static KeepPolicy parse(String value) {
        if (value == null || value.isBlank()) {
            return NEVER;
        }
        String v = value.strip();
        if (v.equalsIgnoreCase("true")) {
            return ALWAYS;
        }
        if (v.equalsIgnoreCase("false")) {
            return NEVER;
        }
        for (KeepPolicy p : values()) {
            if (p.token.equalsIgnoreCase(v) || p.name().equalsIgnoreCase(v.replace('-', '_'))) {
                return p;
            }
        }
        throw new IllegalArgumentException(Messages.Options_BadKeep(value.toLowerCase(Locale.ROOT)));
    }
}
