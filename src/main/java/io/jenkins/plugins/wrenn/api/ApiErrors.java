package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * Turns what went wrong (an HTTP error answer of either server generation, a stream's error
 * message, a transport failure) into a {@link WrennApiException} of the right kind.
 */
final class ApiErrors {

    private ApiErrors() {}

    private static String contentType(HttpResponse<?> response) {
        return response.headers().firstValue("Content-Type").orElse("");
    }

    static WrennApiException transportFailure(String operation, String id, Throwable e) {
        if (e instanceof WrennApiException w) {
            return w;
        }
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException) {
            return new WrennApiException(
                    WrennApiException.Kind.CONNECTION_FAILED, operation, id, 0, null, "could not connect: " + e, e);
        }
        if (e instanceof HttpTimeoutException) {
            return new WrennApiException(
                    WrennApiException.Kind.TIMEOUT, operation, id, 0, null, "no answer in time", e);
        }
        if (e instanceof CancellationException) {
            return new WrennApiException(WrennApiException.Kind.STREAM_CLOSED, operation, id, 0, null, "cancelled", e);
        }
        return new WrennApiException(
                WrennApiException.Kind.CONNECTION_LOST, operation, id, 0, null, "connection failed: " + e, e);
    }

    /** Turns an HTTP error answer into an exception, whether or not its body is the API's JSON. */
    static WrennApiException errorFor(
            String operation, String id, HttpResponse<?> response, String body, Throwable cause) {
        int status = response.statusCode();
        String code = null;
        String message;
        String capsuleStatus = null;
        String requestId = response.headers().firstValue("X-Request-ID").orElse(null);
        Boolean retryable = null;
        String invalidField = null;
        Optional<JsonNode> error = parseApiError(body);
        if (error.isPresent()) {
            JsonNode e = error.get();
            code = e.path("code").asText(null);
            message = e.path("message").asText(null);
            requestId = e.path("request_id").asText(requestId);
            retryable = e.path("retryable").isBoolean() ? e.path("retryable").asBoolean() : null;
            capsuleStatus = e.path("details").path("status").asText(null);
            invalidField = e.path("details").path("field").asText(null);
        } else {
            message = describeNonApiBody(status, contentType(response), body);
        }
        return new WrennApiException(
                kindOf(status, code, message, error.isPresent()),
                operation,
                id,
                status,
                code,
                message,
                capsuleStatus,
                requestId,
                retryable,
                invalidField,
                cause);
    }

    /**
     * Classifies by status first, then by the error code of either server generation
     * ({@code invalid_state} and {@code sandbox_not_running} mean the same); the message text only
     * where a first-generation server gave no code. Every 404 of the API (both generations) carries
     * its error envelope; one without it is a route the server does not have, as a base URL
     * without its {@code /api} part gives: not a missing capsule.
     */
    private static WrennApiException.Kind kindOf(int status, String code, String message, boolean apiError) {
        return switch (status) {
            case 400 -> WrennApiException.Kind.INVALID_REQUEST;
            case 401 -> WrennApiException.Kind.AUTHENTICATION_FAILED;
            case 403 -> WrennApiException.Kind.FORBIDDEN;
            case 404 -> apiError ? WrennApiException.Kind.NOT_FOUND : WrennApiException.Kind.UNEXPECTED_RESPONSE;
            case 408, 504 -> WrennApiException.Kind.TIMEOUT;
            case 409 -> {
                if ("invalid_state".equals(code) || "sandbox_not_running".equals(code)) {
                    yield WrennApiException.Kind.NOT_RUNNING;
                }
                yield code == null
                                && message != null
                                && message.toLowerCase(Locale.ROOT).contains("not running")
                        ? WrennApiException.Kind.NOT_RUNNING
                        : WrennApiException.Kind.CONFLICT;
            }
            case 413 -> WrennApiException.Kind.TOO_LARGE;
            case 429 -> WrennApiException.Kind.RATE_LIMITED;
            default -> status >= 500 ? WrennApiException.Kind.SERVER_ERROR : WrennApiException.Kind.UNEXPECTED_RESPONSE;
        };
    }

    private static Optional<JsonNode> parseApiError(String body) {
        if (body == null || body.isBlank() || body.stripLeading().charAt(0) != '{') {
            return Optional.empty();
        }
        try {
            JsonNode error = Transport.JSON.readTree(body).path("error");
            return error.isObject() ? Optional.of(error) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String describeNonApiBody(int status, String contentType, String body) {
        if (body == null || body.isBlank()) {
            return "HTTP " + status + " with an empty body";
        }
        String type = contentType.isEmpty() ? "" : contentType.strip() + " ";
        String text = body.replaceAll("(?is)<(script|style)[^>]*>.*?</\\1>", " ")
                .replaceAll("<[^>]*>", " ")
                .replaceAll("\\s+", " ")
                .strip();
        if (text.length() > 200) {
            text = text.substring(0, 200) + "...";
        }
        return "HTTP " + status + " with a " + type + "body that is not a Wrenn API error, from a proxy or load"
                + " balancer perhaps: " + text;
    }

    /**
     * Maps a stream's {@code error} message to the kind of its HTTP twin. Stream errors carry only
     * text, which differs between server versions, so it is matched loosely. A process that cannot
     * be found is told apart from a capsule that cannot: an attach whose process ended is not a
     * missing capsule.
     */
    static WrennApiException streamError(String operation, String id, String data) {
        String text = data == null ? "" : data.toLowerCase(Locale.ROOT);
        WrennApiException.Kind kind;
        String code = null;
        if (text.contains("authentication failed") || text.contains("api key")) {
            kind = WrennApiException.Kind.AUTHENTICATION_FAILED;
        } else if (text.contains("not running")) {
            kind = WrennApiException.Kind.NOT_RUNNING;
        } else if (text.contains("process not found") || text.contains("failed to connect to process")) {
            kind = WrennApiException.Kind.NOT_FOUND;
            code = WrennApiException.PROCESS_NOT_FOUND;
        } else if (text.contains("not found") && (text.contains("sandbox") || text.contains("capsule"))) {
            kind = WrennApiException.Kind.NOT_FOUND;
        } else if (text.contains("failed to start")) {
            kind = WrennApiException.Kind.START_FAILED;
        } else if (text.contains("invalid")) {
            kind = WrennApiException.Kind.INVALID_REQUEST;
        } else {
            kind = WrennApiException.Kind.SERVER_ERROR;
        }
        return new WrennApiException(kind, operation, id, 0, code, data, null);
    }
}
