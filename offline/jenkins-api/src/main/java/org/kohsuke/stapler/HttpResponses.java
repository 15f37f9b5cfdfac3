package org.kohsuke.stapler;

public class HttpResponses {
    public abstract static class HttpResponseException extends RuntimeException implements HttpResponse {
        private static final long serialVersionUID = 1L;
    }

    public static native HttpResponseException errorWithoutStack(int code, String errorMessage);

    public static native HttpResponse redirectToDot();
}
