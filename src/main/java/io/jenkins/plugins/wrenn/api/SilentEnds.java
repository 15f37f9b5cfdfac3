package io.jenkins.plugins.wrenn.api;

/**
 * Why a stream ended before its first message, found out by asking the API: the capsule (missing,
 * not running, key refused) and, for an attach, whether the process is still there. The server's
 * own reason can be lost (it closes the connection right after sending it), and newer servers
 * close an attach to an ended process without one.
 */
final class SilentEnds {

    private SilentEnds() {}

    /**
     * @param selector the process of an attach (pid or tag), or null for an exec stream
     * @return the reason found, or {@code lost} when the capsule and process look fine
     */
    static WrennApiException explain(
            Capsules capsules, Processes processes, String id, String selector, WrennApiException lost)
            throws InterruptedException {
        try {
            Capsule capsule = capsules.get(id);
            if (!capsule.isRunning()) {
                return new WrennApiException(
                        WrennApiException.Kind.NOT_RUNNING,
                        lost.operation(),
                        id,
                        0,
                        null,
                        "the capsule is not running (status: " + capsule.status() + ")",
                        capsule.status(),
                        null,
                        null,
                        lost);
            }
            if (selector != null
                    && processes.list(id).stream()
                            .noneMatch(p -> selector.equals(Long.toString(p.pid())) || selector.equals(p.tag()))) {
                return new WrennApiException(
                        WrennApiException.Kind.NOT_FOUND,
                        lost.operation(),
                        id,
                        0,
                        WrennApiException.PROCESS_NOT_FOUND,
                        "process " + selector + " is not running in the capsule",
                        null,
                        null,
                        null,
                        lost);
            }
            return lost;
        } catch (WrennApiException refused) {
            return switch (refused.kind()) {
                case NOT_FOUND, INVALID_REQUEST, AUTHENTICATION_FAILED, FORBIDDEN, NOT_RUNNING -> refused;
                default -> lost;
            };
        }
    }
}
