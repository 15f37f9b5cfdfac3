package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.util.Locale;

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
            capsule = client.capsules().get(id);
        } catch (WrennApiException e) {
            throw of(client, id, credentialsName, e);
        }
        if (!capsule.isRunning()) {
            throw notRunning(id, capsule.status(), null, null);
        }
        return capsule;
    }

    /** The message for a failed API call, naming the capsule and the credentials. */
    public static ExecutionFailure of(WrennClient client, String id, String credentialsName, WrennApiException e) {
        String credentials =
                credentialsName == null ? Messages.Credentials_ApiKey() : Messages.Credentials_Named(credentialsName);
        String said = serverSaid(e);
        ExecutionFailure.Reason reason;
        String text;
        switch (e.kind()) {
            case NOT_FOUND -> {
                reason = ExecutionFailure.Reason.CAPSULE_NOT_FOUND;
                text = Messages.Failure_NotFound(id, credentials);
            }
            case INVALID_REQUEST -> {
                if (aboutCapsuleId(e)) {
                    reason = ExecutionFailure.Reason.INVALID_CAPSULE_ID;
                    text = Messages.Failure_InvalidId(id, said);
                } else {
                    reason = ExecutionFailure.Reason.UNEXPECTED;
                    text = refused(e, id, said);
                }
            }
            case NOT_RUNNING -> {
                return notRunning(id, e.capsuleStatus(), e, e.requestId());
            }
            case AUTHENTICATION_FAILED -> {
                reason = ExecutionFailure.Reason.AUTHENTICATION_FAILED;
                text = Messages.Failure_Authentication(credentials);
            }
            case FORBIDDEN -> {
                reason = ExecutionFailure.Reason.FORBIDDEN;
                text = id == null
                        ? Messages.Failure_ForbiddenCall(credentials, e.operation(), said)
                        : Messages.Failure_Forbidden(credentials, id);
            }
            case TIMEOUT -> {
                reason = ExecutionFailure.Reason.CONNECTION_FAILED;
                text = Messages.Failure_NoAnswer(client.baseUrl(), e.operation());
            }
            case CONNECTION_FAILED -> {
                reason = ExecutionFailure.Reason.CONNECTION_FAILED;
                text = Messages.Failure_CannotConnect(client.baseUrl(), said);
            }
            case CONNECTION_LOST, STREAM_CLOSED -> {
                reason = ExecutionFailure.Reason.CONNECTION_LOST;
                text = Messages.Failure_ConnectionBroke(e.operation(), id, said);
            }
            case START_FAILED -> {
                reason = ExecutionFailure.Reason.START_FAILED;
                text = Messages.Failure_StartFailed(id, said);
            }
            case RATE_LIMITED -> {
                reason = ExecutionFailure.Reason.SERVER_ERROR;
                text = Messages.Failure_RateLimited(e.operation(), said);
            }
            case SERVER_ERROR -> {
                reason = ExecutionFailure.Reason.SERVER_ERROR;
                String status = e.httpStatus() > 0 ? " " + e.httpStatus() : "";
                // Newer servers end their own text with "Try again shortly.": say it once.
                text = said.toLowerCase(Locale.ROOT).contains("try again")
                        ? Messages.Failure_ServerErrorAsSaid(status, e.operation(), said)
                        : Messages.Failure_ServerError(status, e.operation(), said);
            }
            case UNEXPECTED_RESPONSE -> {
                if (e.httpStatus() == 404) {
                    // Not the API's 404 (that one has its error envelope): the base URL is wrong.
                    reason = ExecutionFailure.Reason.NOT_THE_API;
                    text = Messages.Failure_NotTheApi(client.baseUrl());
                } else {
                    reason = ExecutionFailure.Reason.UNEXPECTED;
                    text = refused(e, id, said);
                }
            }
            default -> {
                reason = ExecutionFailure.Reason.UNEXPECTED;
                text = refused(e, id, said);
            }
        }
        return new ExecutionFailure(reason, withRequestId(text, e.requestId()), e);
    }

    /** Any other refusal, in the server's words; a call about no capsule (a check of the key) names none. */
    private static String refused(WrennApiException e, String id, String said) {
        return id == null
                ? Messages.Failure_RefusedCall(e.operation(), said)
                : Messages.Failure_Refused(e.operation(), id, said);
    }

    /** The stream of a running command broke and the process could not be followed further. */
    static ExecutionFailure lostWhileRunning(String id, WrennApiException e) {
        return new ExecutionFailure(
                ExecutionFailure.Reason.CONNECTION_LOST,
                withRequestId(Messages.Failure_ConnectionLost(id, serverSaid(e)), e.requestId()),
                e);
    }

    /** A 400 names the capsule id when the server says the id is what it refused. */
    private static boolean aboutCapsuleId(WrennApiException e) {
        String said = e.serverMessage() == null ? "" : e.serverMessage().toLowerCase(Locale.ROOT);
        return said.contains("sandbox id") || said.contains("capsule id");
    }

    /** What the server said, to quote inside a sentence (see {@link WrennApiException#said()}). */
    static String serverSaid(WrennApiException e) {
        String said = e.said();
        return said == null ? Messages.Note_NothingSaid() : said;
    }

    private static String withRequestId(String text, String requestId) {
        return requestId == null ? text : text + " " + Messages.Failure_RequestId(requestId);
    }

    /**
     * How a capsule that is not running is told, in the build log and by Test connection alike.
     *
     * @param status its status, or null when unknown
     */
    public static String notRunningMessage(String id, String status) {
        return Messages.Failure_NotRunning(id, status == null ? Messages.Note_StatusUnknown() : status);
    }

    static ExecutionFailure notRunning(String id, String status, Throwable cause, String requestId) {
        return new ExecutionFailure(
                ExecutionFailure.Reason.CAPSULE_NOT_RUNNING,
                withRequestId(notRunningMessage(id, status), requestId),
                cause);
    }
}
