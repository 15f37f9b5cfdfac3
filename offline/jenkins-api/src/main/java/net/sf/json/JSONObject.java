package net.sf.json;

public final class JSONObject {
    public JSONObject() {}

    public Object opt(String key) {
        throw new UnsupportedOperationException("declaration only");
    }

    public String optString(String key) {
        throw new UnsupportedOperationException("declaration only");
    }
}
