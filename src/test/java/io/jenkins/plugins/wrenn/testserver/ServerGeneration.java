package io.jenkins.plugins.wrenn.testserver;

/** Which version of the real Wrenn server the test server behaves like. */
public enum ServerGeneration {
    /**
     * Wrenn v0.1.5, the version {@code shared/wrenn-api.md} was first read from: errors are
     * {@code {"error":{"code","message"}}} with lower-case texts; create answers 201, pause and
     * resume 200, delete 204, all after the work is done; a WebSocket with a wrong or missing key
     * is upgraded and then authenticated by its first message; attaching to an unknown process
     * answers with an error message. Processes stay in the daemon's process group, a signal
     * reaches the one pid, and a process leaves the list when it is reaped.
     */
    V0_1_5,
    /**
     * The newest server: errors carry {@code request_id}, {@code retryable} and {@code details}
     * with catalog codes and sentence texts, every answer has an {@code X-Request-ID} header;
     * create, pause, resume and delete answer 202 at once with a transitional status; a WebSocket
     * with a wrong or missing key is refused with 401 before the upgrade; attaching to an unknown
     * or ended process closes the connection without a message. Each process leads a process group
     * of its own, a signal reaches that group, a process leaves the list once its output pipes have
     * closed too, and a foreground exec honours envs and cwd.
     */
    CURRENT
}
