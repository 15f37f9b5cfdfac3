package io.jenkins.plugins.wrenn.api;

import java.io.IOException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Any failure talking to the Wrenn API. {@link #kind()} says what went wrong in terms a caller can
 * act on, the same for an HTTP status and for the WebSocket error message that means the same
 * thing. The message never contains the API key.
 */
public class WrennApiException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * The {@link #errorCode()} the client gives a stream error about a process that does not
     * exist (any more), so that callers can tell it from a missing capsule.
     */
    public static final String PROCESS_NOT_FOUND = "process_not_found";

    /**
     * The {@link #errorCode()} the client gives a stream whose connection the server ended
     * normally, but whose last message the client lost (see {@link ProcessStream}): nothing went
     * wrong between the two, and the process's exit code is unknown to the stream.
     */
    public static final String LAST_MESSAGE_LOST = "last_message_lost";

    private static final Pattern STATUS_IN_MESSAGE = Pattern.compile("\\(status: ([A-Za-z_-]+)\\)");

    /** What went wrong, as a caller decides on it. */
    public enum Kind {
        /** 400: the server refused the request, e.g. a malformed capsule id. */
        INVALID_REQUEST,
        /** 401, or the stream's "authentication failed": the API key was not accepted. */
        AUTHENTICATION_FAILED,
        /** 403: the key is valid but may not do this. */
        FORBIDDEN,
        /** 404, or "sandbox not found": the capsule (or process) does not exist for this team. */
        NOT_FOUND,
        /** 409 invalid_state, or "sandbox is not running": see {@link #capsuleStatus()}. */
        NOT_RUNNING,
        /** 409 for another reason, e.g. a capsule that is not paused when it should be. */
        CONFLICT,
        /** 413: the request body is larger than the server takes. */
        TOO_LARGE,
        /** 429: too many requests; the server asks the client to slow down. */
        RATE_LIMITED,
        /** The server could not start the command, e.g. the program does not exist in the capsule. */
        START_FAILED,
        /** 5xx: the server or the capsule's host failed. */
        SERVER_ERROR,
        /** No answer in time. */
        TIMEOUT,
        /** The server could not be reached at all. */
        CONNECTION_FAILED,
        /** The connection broke after it was established, e.g. a stream cut before the exit code. */
        CONNECTION_LOST,
        /** The client closed the stream itself before the process exited. */
        STREAM_CLOSED,
        /** An answer that is not what the API promises (status, body or message). */
        UNEXPECTED_RESPONSE
    }

    private final Kind kind;
    private final String operation;
    private final String capsuleId;
    private final int httpStatus;
    private final String errorCode;
    private final String serverMessage;
    private final String capsuleStatus;
    private final String requestId;
    private final Boolean retryable;
    private final String invalidField;

    /**
     * @param kind what went wrong
     * @param operation what the client was doing, e.g. {@code exec}
     * @param capsuleId the capsule involved, or null
     * @param httpStatus the HTTP status, or 0 when there was none
     * @param errorCode the API's error code, e.g. {@code not_found}, or null
     * @param serverMessage the API's own message, or a description of what came back, or null
     * @param cause the underlying failure, or null
     */
    public WrennApiException(
            Kind kind,
            String operation,
            String capsuleId,
            int httpStatus,
            String errorCode,
            String serverMessage,
            Throwable cause) {
        this(kind, operation, capsuleId, httpStatus, errorCode, serverMessage, null, null, null, cause);
    }

    /**
     * A failure the server described with the newer error envelope.
     *
     * @param capsuleStatus the capsule's status when the server named it apart from its message, or
     *     null to read it from the message
     * @param requestId the server's id of the request, which its operators can look up, or null
     * @param retryable whether the server says that the same request may succeed later, or null
     *     when it does not say
     */
    public WrennApiException(
            Kind kind,
            String operation,
            String capsuleId,
            int httpStatus,
            String errorCode,
            String serverMessage,
            String capsuleStatus,
            String requestId,
            Boolean retryable,
            Throwable cause) {
        this(
                kind,
                operation,
                capsuleId,
                httpStatus,
                errorCode,
                serverMessage,
                capsuleStatus,
                requestId,
                retryable,
                null,
                cause);
    }

    /**
     * A failure the server described with the newer error envelope, naming the request field it
     * refused.
     *
     * @param invalidField the field a {@code validation_failed} answer names in {@code details.field}, or null
     */
    public WrennApiException(
            Kind kind,
            String operation,
            String capsuleId,
            int httpStatus,
            String errorCode,
            String serverMessage,
            String capsuleStatus,
            String requestId,
            Boolean retryable,
            String invalidField,
            Throwable cause) {
        super(
                describe(
                        kind,
                        operation,
                        capsuleId,
                        httpStatus,
                        errorCode,
                        said(serverMessage, invalidField),
                        requestId),
                cause);
        this.kind = kind;
        this.operation = operation;
        this.capsuleId = capsuleId;
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.serverMessage = serverMessage;
        this.capsuleStatus = capsuleStatus != null ? capsuleStatus : statusFrom(serverMessage);
        this.requestId = requestId;
        this.retryable = retryable;
        this.invalidField = invalidField;
    }

    /**
     * The server's sentence to quote inside one of ours: without its closing full stop (ours has
     * one), and naming the refused field when the server says which; null when it said nothing.
     */
    private static String said(String serverMessage, String invalidField) {
        String text = serverMessage == null ? "" : serverMessage.strip();
        if (text.endsWith(".") && !text.endsWith("...")) {
            text = text.substring(0, text.length() - 1).stripTrailing();
        }
        if (invalidField != null) {
            text = text.isEmpty() ? "field " + invalidField : text + " (field " + invalidField + ")";
        }
        return text.isEmpty() ? null : text;
    }

    private static String describe(
            Kind kind,
            String operation,
            String capsuleId,
            int httpStatus,
            String errorCode,
            String serverMessage,
            String requestId) {
        StringBuilder text = new StringBuilder(operation);
        if (capsuleId != null) {
            text.append(" (capsule ").append(capsuleId).append(')');
        }
        text.append(" failed: ").append(kind.name().toLowerCase(Locale.ROOT).replace('_', ' '));
        if (serverMessage != null && !serverMessage.isBlank()) {
            text.append(": ").append(serverMessage);
        }
        StringBuilder facts = new StringBuilder();
        if (httpStatus > 0) {
            facts.append("HTTP ").append(httpStatus);
        }
        if (errorCode != null) {
            facts.append(facts.isEmpty() ? "" : ", ").append(errorCode);
        }
        if (requestId != null) {
            facts.append(facts.isEmpty() ? "" : ", ").append("request id ").append(requestId);
        }
        if (!facts.isEmpty()) {
            text.append(" [").append(facts).append(']');
        }
        return text.toString();
    }

    private static String statusFrom(String message) {
        if (message == null) {
            return null;
        }
        Matcher m = STATUS_IN_MESSAGE.matcher(message);
        return m.find() ? m.group(1) : null;
    }

    public Kind kind() {
        return kind;
    }

    /** What the client was doing, e.g. {@code exec} or {@code get capsule}. */
    public String operation() {
        return operation;
    }

    /** The capsule involved, or null. */
    public String capsuleId() {
        return capsuleId;
    }

    /** The HTTP status, or 0 for failures without one (stream errors, timeouts, connection). */
    public int httpStatus() {
        return httpStatus;
    }

    /** The API's error code such as {@code invalid_state}, or null. */
    public String errorCode() {
        return errorCode;
    }

    /** The server's own message, or a description of a non-API answer, or null. */
    public String serverMessage() {
        return serverMessage;
    }

    /** For {@link Kind#NOT_RUNNING}: the capsule's status as the server named it, or null. */
    public String capsuleStatus() {
        return capsuleStatus;
    }

    /** The server's id of the failed request (newer servers), for support; or null. */
    public String requestId() {
        return requestId;
    }

    /** The request field the server refused ({@code details.field} of the newest server), or null. */
    public String invalidField() {
        return invalidField;
    }

    /**
     * What the server said, to quote inside a sentence of ours: its message without the closing
     * full stop, with the refused field named ({@code "One or more fields are invalid (field
     * metadata)"}); null when it said nothing. Messages for people quote this, never
     * {@link #serverMessage()}.
     */
    public String said() {
        return said(serverMessage, invalidField);
    }

    /** Whether the server marked the failure as worth retrying; null when it did not say. */
    public Boolean retryable() {
        return retryable;
    }
}
