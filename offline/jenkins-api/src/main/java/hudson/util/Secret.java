package hudson.util;

public final class Secret {
    private Secret() {}

    public String getPlainText() {
        throw new UnsupportedOperationException("declaration only");
    }
}
