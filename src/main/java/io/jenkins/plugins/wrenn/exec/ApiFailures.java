package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;

/**
 * Turns API failures into messages for users: what happened and what to do. The build log, the
 * forms and Test connection all use these texts, so a failure reads the same everywhere.
 */
public final class ApiFailures {

    private ApiFailures() {}

    /**
     * One GET of the capsule, so that "not found", "not running" and a bad key are reported at
     * once, before any stream is opened.
     */
    static Capsule checkRunning(WrennClient client, String id, String credentialsName)
            throws ExecutionFailure, InterruptedException {
        Capsule capsule;
        try {
            capsule = client.getCapsule(id);
        } catch (WrennApiException e) {
            throw of(client, id, credentialsName, e);
        }
        if (!capsule.isRunning()) {
            throw notRunning(id, capsule.status(), null);
        }
        return capsule;
    }

    /** The message for a failed API call, naming the capsule and the credentials. */
    public static ExecutionFailure of(WrennClient client, String id, String credentialsName, WrennApiException e) {
        String credentials =
                credentialsName == null ? Messages.Credentials_ApiKey() : Messages.Credentials_Named(credentialsName);
        return switch (e.kind()) {
            case NOT_FOUND -> new ExecutionFailure(
                    ExecutionFailure.Reason.CAPSULE_NOT_FOUND,
                    Messages.Failure_NotFound(id, credentials),
                    e);
            case INVALID_REQUEST -> new ExecutionFailure(
                    ExecutionFailure.Reason.INVALID_CAPSULE_ID,
                    Messages.Failure_InvalidId(id, e.serverMessage()),
                    e);
            case NOT_RUNNING -> notRunning(id, e.capsuleStatus(), e);
            case AUTHENTICATION_FAILED -> new ExecutionFailure(
                    ExecutionFailure.Reason.AUTHENTICATION_FAILED,
                    Messages.Failure_Authentication(credentials),
                    e);
            case FORBIDDEN -> new ExecutionFailure(
                    ExecutionFailure.Reason.FORBIDDEN,
                    Messages.Failure_Forbidden(credentials, id),
                    e);
            case TIMEOUT -> new ExecutionFailure(
                    ExecutionFailure.Reason.CONNECTION_FAILED,
                    Messages.Failure_NoAnswer(client.baseUrl(), e.operation()),
                    e);
            case CONNECTION_FAILED -> new ExecutionFailure(
                    ExecutionFailure.Reason.CONNECTION_FAILED,
                    Messages.Failure_CannotConnect(client.baseUrl(), e.serverMessage()),
                    e);
            case CONNECTION_LOST, STREAM_CLOSED -> new ExecutionFailure(
                    ExecutionFailure.Reason.CONNECTION_LOST,
                    Messages.Failure_ConnectionLost(e.operation(), id, e.serverMessage()),
                    e);
            case SERVER_ERROR -> new ExecutionFailure(
                    ExecutionFailure.Reason.SERVER_ERROR,
                    Messages.Failure_ServerError(
                            e.httpStatus() > 0 ? " " + e.httpStatus() : "", e.operation(), e.serverMessage()),
                    e);
            default -> new ExecutionFailure(ExecutionFailure.Reason.UNEXPECTED, e.getMessage(), e);
        };
    }

    static ExecutionFailure notRunning(String id, String status, Throwable cause) {
        return new ExecutionFailure(
                ExecutionFailure.Reason.CAPSULE_NOT_RUNNING,
                Messages.Failure_NotRunning(id, status == null ? Messages.Note_StatusUnknown() : status),
                cause);
    }
}
