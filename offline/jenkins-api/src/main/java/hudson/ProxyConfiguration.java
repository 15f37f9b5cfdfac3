package hudson;

import java.net.http.HttpClient;

public final class ProxyConfiguration {
    private ProxyConfiguration() {}

    public static native HttpClient.Builder newHttpClientBuilder();
}
