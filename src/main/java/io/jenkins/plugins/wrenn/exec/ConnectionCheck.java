package io.jenkins.plugins.wrenn.exec;

import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;

/**
 * The <em>Test connection</em> buttons: one call, and the answer in the words the build log uses
 * for the same thing.
 */
public final class ConnectionCheck {

    private ConnectionCheck() {}

    /** How the form shows a result. */
    public enum Verdict {
        OK,
        WARNING,
        ERROR
    }

    /** A result to show under the button. */
    public record Result(Verdict verdict, String message) {}

    /**
     * A step's button: the capsule, looked up with the step's key. A capsule that is not running is
     * a warning worded as the build log words it.
     *
     * @param credentialsName how the key is named in messages, or null
     */
    public static Result capsule(WrennClient client, String id, String credentialsName) throws InterruptedException {
        try {
            Capsule c = client.capsules().get(id);
            return c.isRunning()
                    ? new Result(Verdict.OK, Messages.Check_Running(c.id()))
                    : new Result(Verdict.WARNING, ApiFailures.notRunningMessage(c.id(), c.status()));
        } catch (WrennApiException e) {
            return new Result(
                    Verdict.ERROR,
                    ApiFailures.of(client, id, credentialsName, e).getMessage());
        }
    }

    /**
     * The System configuration's button: the API URL and the key, no capsule needed. Listing the
     * team's capsules reaches the API and needs an accepted key.
     *
     * @param credentialsName how the key is named in messages, or null
     */
    public static Result api(WrennClient client, String credentialsName) throws InterruptedException {
        try {
            client.capsules().list();
            return new Result(
                    Verdict.OK,
                    Messages.Check_ApiReached(
                            client.baseUrl(),
                            credentialsName == null
                                    ? Messages.Credentials_ApiKey()
                                    : Messages.Credentials_Named(credentialsName)));
        } catch (WrennApiException e) {
            return new Result(
                    Verdict.ERROR,
                    ApiFailures.of(client, null, credentialsName, e).getMessage());
        }
    }
}
