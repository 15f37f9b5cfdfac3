package io.jenkins.plugins.wrenn.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Asking the API why a stream ended silently can itself fail unexpectedly; the stream or its
 * opening must still end, with the lost connection as the reason, or the run waiting on it hangs.
 */
class SilentEndExplanationTest {

    private static final ProcessStream.SilentEndExplainer BROKEN = lost -> {
        throw new IllegalStateException("the explanation broke");
    };

    @Test
    void aStreamEndsEvenWhenExplainingItsSilentEndFails() throws Exception {
        ProcessStream stream = new ProcessStream(
                "exec stream",
                "cap-1",
                new CollectingListener(),
                BROKEN,
                Runnable::run,
                new ListenerBacklog(ListenerBacklog.DEFAULT_STREAM_LIMIT, ListenerBacklog.DEFAULT_CLIENT_LIMIT));
        stream.listener().onClose(null, 1006, "");
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> stream.exitCode().get(10, TimeUnit.SECONDS));
        assertEquals(WrennApiException.Kind.CONNECTION_LOST, ((WrennApiException) e.getCause()).kind());
    }

    @Test
    void anOpeningEndsEvenWhenExplainingItsRefusalFails() throws Exception {
        WrennApiException lost = new WrennApiException(
                WrennApiException.Kind.CONNECTION_LOST, "exec stream", "cap-1", 0, null, "connection failed", null);
        CompletableFuture<ProcessStream> result = new CompletableFuture<>();
        Transport.refused("exec stream", "cap-1", BROKEN, lost, result);
        ExecutionException e = assertThrows(ExecutionException.class, () -> result.get(10, TimeUnit.SECONDS));
        assertSame(lost, e.getCause());
    }
}
