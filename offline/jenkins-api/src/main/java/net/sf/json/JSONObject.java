package net.sf.json;

public final class JSONObject {
    public JSONObject() {}

    public native Object opt(String key);

    public native String optString(String key);
}
