package io.jenkins.plugins.wrenn.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The reference: a bare {@code java.net.http} WebSocket on the streaming exec route, with the least
 * work a client can do (parse each message, hand the data on). No masking, no pings, no capsule check.
 */
final class BareStream implements WebSocket.Listener {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final StringBuilder partial = new StringBuilder();
    private final Consumer<String> onData;
    final CompletableFuture<Integer> exit = new CompletableFuture<>();

    private BareStream(Consumer<String> onData) {
        this.onData = onData;
    }

    static BareStream start(
            HttpClient http,
            URI baseUrl,
            String key,
            String capsule,
            String cmd,
            List<String> args,
            Consumer<String> onData)
            throws Exception {
        BareStream stream = new BareStream(onData);
        URI ws =
                URI.create(baseUrl.toString().replaceFirst("^http", "ws") + "/v1/capsules/" + capsule + "/exec/stream");
        WebSocket socket = http.newWebSocketBuilder()
                .header("X-API-Key", key)
                .buildAsync(ws, stream)
                .get();
        socket.sendText(JSON.writeValueAsString(Map.of("type", "start", "cmd", cmd, "args", args)), true)
                .get();
        return stream;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            try {
                JsonNode m = JSON.readTree(partial.toString());
                switch (m.path("type").asText()) {
                    case "stdout", "stderr" -> onData.accept(m.path("data").asText());
                    case "exit" -> exit.complete(m.path("exit_code").asInt());
                    case "error" ->
                        exit.completeExceptionally(
                                new IllegalStateException(m.path("data").asText()));
                    default -> {}
                }
            } catch (Exception e) {
                exit.completeExceptionally(e);
            }
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        exit.completeExceptionally(error);
    }
}
