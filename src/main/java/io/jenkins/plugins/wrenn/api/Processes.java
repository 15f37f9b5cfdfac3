package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;

/** The processes running in a capsule: list them, signal them, attach to their output. */
public final class Processes {

    private final Transport transport;
    private final Capsules capsules;

    Processes(Transport transport, Capsules capsules) {
        this.transport = transport;
        this.capsules = capsules;
    }

    public List<ProcessInfo> list(String id) throws WrennApiException, InterruptedException {
        return transport.read("list processes", id, Transport.capsulePath(id) + "/processes", in -> {
            JsonNode list = Transport.JSON.readTree(in).path("processes");
            return list.isArray() ? Arrays.asList(Transport.JSON.treeToValue(list, ProcessInfo[].class)) : List.of();
        });
    }

    /**
     * Sends a signal to a process.
     *
     * @param selector a numeric pid or a tag
     */
    public void kill(String id, String selector, Signal signal) throws WrennApiException, InterruptedException {
        String path = Transport.capsulePath(id) + "/processes/" + Transport.encode(checkSelector(selector)) + "?signal="
                + signal.name();
        transport.send(
                "kill process " + selector, id, transport.request(path).DELETE().build(), in -> null, false);
    }

    private static String checkSelector(String selector) {
        if (selector == null || selector.isBlank()) {
            throw new IllegalArgumentException("process: give a pid or a tag");
        }
        // One segment of the request path: "." and ".." would name another resource once a server
        // or proxy normalises the path (DELETE .../processes/.. is a DELETE of the capsule).
        if (selector.equals(".") || selector.equals("..")) {
            throw new IllegalArgumentException("process: a pid or a tag, not . or .., got '" + selector + "'");
        }
        return selector;
    }

    /**
     * Attaches to a running process's output. Output written before the attach is not replayed,
     * and a process that already exited cannot be attached to: the stream then fails with
     * {@link WrennApiException.Kind#NOT_FOUND} and the code {@link WrennApiException#PROCESS_NOT_FOUND}.
     *
     * @param selector a numeric pid or a tag
     */
    public ProcessStream attach(String id, String selector, StreamListener listener)
            throws WrennApiException, InterruptedException {
        String path = Transport.capsulePath(id) + "/processes/" + Transport.encode(checkSelector(selector)) + "/stream";
        String operation = "attach to process " + selector;
        return transport.await(
                operation,
                id,
                transport.openStream(
                        operation,
                        id,
                        path,
                        listener,
                        lost -> SilentEnds.explain(capsules, this, id, selector, lost),
                        null));
    }
}
