package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The capsules of the team the API key belongs to: look them up, create, pause, resume, destroy,
 * mark them active, and read their resource samples. Newer servers answer the lifecycle calls with 202 and a transitional
 * status (starting, pausing, ...); the capsule returned then shows that status.
 */
public final class Capsules {

    private final Transport transport;

    Capsules(Transport transport) {
        this.transport = transport;
    }

    public Capsule get(String id) throws WrennApiException, InterruptedException {
        return transport.read(
                "get capsule", id, Transport.capsulePath(id), in -> Transport.JSON.readValue(in, Capsule.class));
    }

    public List<Capsule> list() throws WrennApiException, InterruptedException {
        return transport.read(
                "list capsules",
                null,
                "/v1/capsules",
                in -> Arrays.asList(Transport.JSON.readValue(in, Capsule[].class)));
    }

    public Capsule create(CapsuleSpec spec) throws WrennApiException, InterruptedException {
        return transport.send(
                "create capsule",
                null,
                transport.post("/v1/capsules", createBody(spec), transport.requestTimeout()),
                in -> Transport.JSON.readValue(in, Capsule.class),
                false);
    }

    /**
     * Sends the create and returns at once. The result completes with the capsule, or
     * exceptionally with a {@link WrennApiException} (possibly inside a
     * {@link java.util.concurrent.CompletionException}); an interrupt of a thread waiting for it
     * does not cut the call, so a caller that is stopped meanwhile can still learn the capsule's id
     * and destroy it. Bounded by the request timeout.
     */
    public CompletableFuture<Capsule> createAsync(CapsuleSpec spec) {
        return transport.sendAsync(
                "create capsule",
                null,
                transport.post("/v1/capsules", createBody(spec), transport.requestTimeout()),
                in -> Transport.JSON.readValue(in, Capsule.class));
    }

    /**
     * The capsule's resource samples over a range the server knows ({@code 5m}, {@code 1h},
     * {@code 6h} or {@code 24h}). Only while the capsule runs or is paused: a stopped capsule's
     * metrics are gone (404).
     */
    public CapsuleMetrics metrics(String id, String range) throws WrennApiException, InterruptedException {
        return transport.read(
                "read capsule metrics",
                id,
                Transport.capsulePath(id) + "/metrics?range=" + Transport.encode(range),
                in -> Transport.JSON.readValue(in, CapsuleMetrics.class));
    }

    /** Only what was set: the servers' defaults differ between versions and must not be pinned here. */
    private static ObjectNode createBody(CapsuleSpec spec) {
        ObjectNode body = Transport.JSON.createObjectNode();
        if (spec.template() != null) {
            body.put("template", spec.template());
        }
        putPositive(body, "vcpus", spec.vcpus());
        putPositive(body, "memory_mb", spec.memoryMb());
        putPositive(body, "timeout_sec", spec.timeoutSec());
        if (!spec.metadata().isEmpty()) {
            ObjectNode metadata = body.putObject("metadata");
            spec.metadata().forEach(metadata::put);
        }
        return body;
    }

    public void destroy(String id) throws WrennApiException, InterruptedException {
        transport.send(
                "destroy capsule",
                id,
                transport.request(Transport.capsulePath(id)).DELETE().build(),
                in -> null,
                false);
    }

    public Capsule pause(String id) throws WrennApiException, InterruptedException {
        return transport.send(
                "pause capsule",
                id,
                transport.post(Transport.capsulePath(id) + "/pause", null, transport.requestTimeout()),
                in -> Transport.JSON.readValue(in, Capsule.class),
                false);
    }

    public Capsule resume(String id) throws WrennApiException, InterruptedException {
        return transport.send(
                "resume capsule",
                id,
                transport.post(Transport.capsulePath(id) + "/resume", null, transport.requestTimeout()),
                in -> Transport.JSON.readValue(in, Capsule.class),
                false);
    }

    /** Marks the capsule active, so the server does not pause it under a long-running command. */
    public void ping(String id) throws WrennApiException, InterruptedException {
        transport.send(
                "ping capsule",
                id,
                transport.post(Transport.capsulePath(id) + "/ping", null, transport.requestTimeout()),
                in -> null,
                false);
    }

    private static void putPositive(ObjectNode body, String field, int value) {
        if (value > 0) {
            body.put(field, value);
        }
    }
}
