package org.kohsuke.stapler;

public class HttpResponses {
    public abstract static class HttpResponseException extends RuntimeException implements HttpResponse {
        private static final long serialVersionUID = 1L;
    }

    public static HttpResponseException errorWithoutStack(int code, String errorMessage) {
        throw new UnsupportedOperationException("declaration only");
    }

    public static HttpResponse redirectToDot() {
        throw new UnsupportedOperationException("declaration only");
    }
}
