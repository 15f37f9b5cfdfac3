package net.sf.json;

public final class JSONObject {
    public Object opt(String key) {
        throw new UnsupportedOperationException("declaration only");
    }
}
