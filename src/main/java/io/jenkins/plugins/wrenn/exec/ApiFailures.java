package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;

/** Turns API failures into messages for the build log: what happened and what to do. */
final class ApiFailures {

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
    static ExecutionFailure of(WrennClient client, String id, String credentialsName, WrennApiException e) {
        String credentials = credentialsName == null ? "the API key" : "credentials " + credentialsName;
        return switch (e.kind()) {
            case NOT_FOUND -> new ExecutionFailure(
                    ExecutionFailure.Reason.CAPSULE_NOT_FOUND,
                    "Capsule not found: " + id + " does not exist or does not belong to the team of " + credentials
                            + ". Check the capsule id.",
                    e);
            case INVALID_REQUEST -> new ExecutionFailure(
                    ExecutionFailure.Reason.INVALID_CAPSULE_ID,
                    "Invalid capsule id: the server rejected '" + id + "' (" + e.serverMessage()
                            + "). Capsule ids look like cl-... ; copy it from the Wrenn dashboard.",
                    e);
            case NOT_RUNNING -> notRunning(id, e.capsuleStatus(), e);
            case AUTHENTICATION_FAILED -> new ExecutionFailure(
                    ExecutionFailure.Reason.AUTHENTICATION_FAILED,
                    "Authentication failed for " + credentials + ": the Wrenn API did not accept the key. "
                            + "Check that the Secret text credential holds a valid wrn_... key.",
                    e);
            case FORBIDDEN -> new ExecutionFailure(
                    ExecutionFailure.Reason.FORBIDDEN,
                    "Forbidden: the key in " + credentials + " may not use capsule " + id + ".",
                    e);
            case TIMEOUT -> new ExecutionFailure(
                    ExecutionFailure.Reason.CONNECTION_FAILED,
                    "The Wrenn API at " + client.baseUrl() + " did not answer in time (" + e.operation() + ").",
                    e);
            case CONNECTION_FAILED -> new ExecutionFailure(
                    ExecutionFailure.Reason.CONNECTION_FAILED,
                    "Could not connect to the Wrenn API at " + client.baseUrl() + ": " + e.serverMessage()
                            + ". Check the API URL in Manage Jenkins > System > Wrenn, and the proxy settings.",
                    e);
            case CONNECTION_LOST, STREAM_CLOSED -> new ExecutionFailure(
                    ExecutionFailure.Reason.CONNECTION_LOST,
                    "Connection lost to the Wrenn API while " + e.operation() + " was running in capsule " + id + ": "
                            + e.serverMessage() + ". The exit code is unknown.",
                    e);
            case SERVER_ERROR -> new ExecutionFailure(
                    ExecutionFailure.Reason.SERVER_ERROR,
                    "Server error" + (e.httpStatus() > 0 ? " " + e.httpStatus() : "") + " from the Wrenn API ("
                            + e.operation() + "): " + e.serverMessage() + ". Try again later.",
                    e);
            default -> new ExecutionFailure(ExecutionFailure.Reason.UNEXPECTED, e.getMessage(), e);
        };
    }

    static ExecutionFailure notRunning(String id, String status, Throwable cause) {
        return new ExecutionFailure(
                ExecutionFailure.Reason.CAPSULE_NOT_RUNNING,
                "Capsule " + id + " is not running (status: " + (status == null ? "unknown" : status)
                        + ") - start or resume it first.",
                cause);
    }
}
