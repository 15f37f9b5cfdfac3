package io.jenkins.plugins.wrenn.testserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer.ApiError;
import io.jenkins.plugins.wrenn.testserver.WrennTestServer.TestCapsule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jetty.util.Fields;

/**
 * The capsule routes of the test server ({@code /v1/capsules} and {@code /v1/capsules/{id}} with
 * {@code /pause}, {@code /resume} and {@code /metrics}), as the real control plane answers them in
 * each {@link ServerGeneration}:
 *
 * <ul>
 *   <li>create: V0_1_5 answers 201 with a running capsule after the boot and ignores {@code
 *       metadata}; CURRENT answers 202 with {@code starting}, checks {@code metadata} as the real
 *       {@code pkg/validate/metadata.go} does (at most 20 keys matching {@code
 *       [a-zA-Z0-9][a-zA-Z0-9._-]{0,63}}, values of at most 64 characters, the system keys
 *       refused) and keeps it. Defaults: V0_1_5 {@code minimal}, 1 vCPU, 512 MiB; CURRENT {@code
 *       minimal-ubuntu}, 2 vCPUs, 2048 MiB. Both add the host agent's system keys to a capsule's
 *       metadata once it runs.
 *   <li>CURRENT only, when set: the hosted plan's limits, refused with 402 {@code
 *       concurrent_sandbox_limit}, {@code vcpu_limit} or {@code memory_limit} (from {@code
 *       internal/api/limits.go}).
 *   <li>list: every capsule of the team but stopped and broken ones, oldest first, with metadata.
 *   <li>metrics: samples every 500 ms while a capsule runs (CPU of its processes as a share of its
 *       vCPUs, their resident memory over a base, the bytes in its directory); a paused capsule
 *       answers with what was sampled before the pause; any other status is a 404. Ranges longer
 *       than ten minutes are averaged into 30 s (1h, 2h) or 5 min (6h, 12h, 24h) buckets, as the
 *       server's coarser tiers are, so peaks flatten. From {@code internal/api/handlers_metrics.go}
 *       and {@code internal/sandbox/metrics.go}.
 * </ul>
 */
public final class CapsuleRoutes {

    private static final Pattern METADATA_KEY = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}");
    private static final int MAX_METADATA_KEYS = 20;
    private static final int MAX_METADATA_VALUE = 64;
    private static final Set<String> RESERVED_CURRENT =
            Set.of("kernel_version", "vmm_version", "agent_version", "envd_version");
    private static final Set<String> RANGES_V0_1_5 = Set.of("5m", "10m", "1h", "2h", "6h", "12h", "24h");
    private static final Set<String> RANGES_CURRENT = Set.of("5m", "1h", "6h", "24h");
    private static final Set<String> COUNTED_AS_RUNNING =
            Set.of("starting", "running", "pausing", "resuming", "snapshotting");
    /** What a booted virtual machine holds before any command runs. */
    private static final long BASE_MEMORY = 48L * 1024 * 1024;

    private static final int SAMPLES_KEPT = 1200;

    /** One sample, as the host agent takes it. */
    public record Sample(long timestampUnix, double cpuPct, long memBytes, long diskBytes) {}

    private final WrennTestServer server;
    private final Map<String, Deque<Sample>> samples = new ConcurrentHashMap<>();
    private final Map<String, Long> lastCpuNanos = new ConcurrentHashMap<>();
    private final Map<String, Long> lastDisk = new ConcurrentHashMap<>();
    private long samplesTaken;
    private volatile long lastSampleNanos = System.nanoTime();
    private volatile int maxConcurrent;
    private volatile int maxVcpus;
    private volatile int maxMemoryMb;

    CapsuleRoutes(WrennTestServer server) {
        this.server = server;
    }

    // ---- test controls

    /**
     * CURRENT: the hosted plan's limits on the team's capsules that run (starting, running,
     * pausing, resuming, snapshotting); 0 for no limit.
     */
    public void setPlanLimits(int concurrent, int vcpus, int memoryMb) {
        this.maxConcurrent = concurrent;
        this.maxVcpus = vcpus;
        this.maxMemoryMb = memoryMb;
    }

    /** Adds a sample to a capsule's metrics, stamped now, beside those the server takes itself. */
    public void addSample(String capsuleId, double cpuPct, long memBytes, long diskBytes) {
        store(capsuleId, new Sample(Instant.now().getEpochSecond(), cpuPct, memBytes, diskBytes));
    }

    /** Puts a capsule into a transitional status that ends in {@code target} after {@code delay}. */
    public void transition(String capsuleId, String transitional, String target, Duration delay) {
        server.transition(server.capsule(capsuleId), transitional, target, delay, () -> {});
    }

    /** The metadata the server keeps for a capsule. */
    public Map<String, String> metadata(String capsuleId) {
        return server.capsule(capsuleId).metadata;
    }

    /** Creates a running capsule with this metadata, as another client (another Jenkins, say) would. */
    public String createWithMetadata(Map<String, String> metadata) {
        TestCapsule c = server.newCapsule("base", 0, "running");
        c.metadata = withSystemKeys(metadata);
        return c.id;
    }

    // ---- routes

    static boolean handles(String method, String rest) {
        return switch (method + " " + rest) {
            case "GET ", "DELETE ", "POST /pause", "POST /resume", "GET /metrics" -> true;
            default -> false;
        };
    }

    boolean handle(String method, TestCapsule c, String rest, Fields query, WrennTestServer.Answer answer) {
        return switch (method + " " + rest) {
            case "GET " -> answer.json(200, json(c, true));
            case "DELETE " -> destroy(c, answer);
            case "POST /pause" -> pause(c, answer);
            case "POST /resume" -> resume(c, answer);
            case "GET /metrics" -> metrics(c, query.getValue("range"), answer);
            default -> answer.routeNotFound(404);
        };
    }

    ArrayNode list() {
        ArrayNode list = WrennTestServer.JSON.createArrayNode();
        server.allCapsules().stream()
                .filter(c -> !"stopped".equals(c.status) && !"error".equals(c.status))
                .sorted(Comparator.comparing(c -> c.createdAt))
                .forEach(c -> list.add(json(c, false)));
        return list;
    }

    boolean create(WrennTestServer.Answer answer, String body, CreateFault fault) {
        JsonNode spec;
        try {
            // An empty body is a decoding error on the real server, not "all defaults".
            spec = WrennTestServer.JSON.readTree(body);
        } catch (IOException e) {
            spec = null;
        }
        if (spec == null || !spec.isObject()) {
            return answer.error(server.invalidJson());
        }
        boolean current = server.current();
        String template = spec.path("template").asText(current ? "minimal-ubuntu" : "minimal");
        int vcpus = spec.path("vcpus").asInt(0) > 0 ? spec.path("vcpus").asInt() : current ? 2 : 1;
        int memoryMb =
                spec.path("memory_mb").asInt(0) > 0 ? spec.path("memory_mb").asInt() : current ? 2048 : 512;
        int timeoutSec = spec.path("timeout_sec").asInt(0);
        Map<String, String> metadata = new LinkedHashMap<>();
        if (current) {
            // The first generation's decoder ignores a field it does not know.
            JsonNode given = spec.path("metadata");
            if (!given.isMissingNode() && !given.isNull()) {
                if (!given.isObject()) {
                    return answer.error(server.invalidJson());
                }
                for (Map.Entry<String, JsonNode> e : given.properties()) {
                    if (!e.getValue().isTextual()) {
                        return answer.error(server.invalidJson());
                    }
                    metadata.put(e.getKey(), e.getValue().asText());
                }
                String problem = metadataProblem(metadata);
                if (problem != null) {
                    return answer.error(new ApiError(
                            400,
                            "validation_failed",
                            "One or more fields are invalid.",
                            false,
                            Map.of("field", "metadata", "reason", problem)));
                }
            }
            ApiError limited = planLimit(vcpus, memoryMb);
            if (limited != null) {
                return answer.error(limited);
            }
        }
        TestCapsule c = server.newCapsule(template, timeoutSec, "starting");
        c.vcpus = vcpus;
        c.memoryMb = memoryMb;
        c.metadata = Map.copyOf(metadata);
        if (fault != null) {
            if (fault == CreateFault.ENDS_IN_ERROR) {
                server.transition(c, "starting", "error", server.transitionDelay(), () -> {});
            }
            return answer.json(current ? 202 : 201, json(c, false));
        }
        if (!current) {
            booted(c);
            c.status = "running";
            return answer.json(201, json(c, false));
        }
        ObjectNode out = json(c, false);
        server.transition(c, "starting", "running", server.transitionDelay(), () -> booted(c));
        return answer.json(202, out);
    }

    /** The host agent writes its own facts into the metadata once the virtual machine runs. */
    private void booted(TestCapsule c) {
        c.metadata = withSystemKeys(c.metadata);
    }

    private Map<String, String> withSystemKeys(Map<String, String> user) {
        Map<String, String> all = new LinkedHashMap<>(user);
        all.put("kernel_version", "6.1.102");
        all.put(server.current() ? "vmm_version" : "firecracker_version", "1.10.1");
        all.put("agent_version", server.current() ? "0.4.0" : "0.1.5");
        all.put("envd_version", "0.2.0");
        return Map.copyOf(all);
    }

    /** What {@code pkg/validate/metadata.go} says about user metadata, or null when it takes it. */
    private String metadataProblem(Map<String, String> metadata) {
        if (metadata.size() > MAX_METADATA_KEYS) {
            return "too many metadata keys: " + metadata.size() + " (max " + MAX_METADATA_KEYS + ")";
        }
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (RESERVED_CURRENT.contains(e.getKey())) {
                return "metadata key \"" + e.getKey() + "\" is reserved for system use";
            }
            if (!METADATA_KEY.matcher(e.getKey()).matches()) {
                return "metadata key \"" + e.getKey() + "\" is invalid";
            }
            if (e.getValue().codePointCount(0, e.getValue().length()) > MAX_METADATA_VALUE) {
                return "metadata value for key \"" + e.getKey() + "\" is too long (max " + MAX_METADATA_VALUE
                        + " chars)";
            }
        }
        return null;
    }

    private ApiError planLimit(int vcpus, int memoryMb) {
        int running = 0;
        int vcpusInUse = 0;
        int memoryInUse = 0;
        for (TestCapsule c : server.allCapsules()) {
            if (COUNTED_AS_RUNNING.contains(c.status)) {
                running++;
                vcpusInUse += c.vcpus;
                memoryInUse += c.memoryMb;
            }
        }
        if (maxConcurrent > 0 && running + 1 > maxConcurrent) {
            return planError("concurrent_sandbox_limit", "plan allows " + maxConcurrent + " concurrent sandboxes");
        }
        if (maxVcpus > 0 && vcpusInUse + vcpus > maxVcpus) {
            return planError("vcpu_limit", "plan allows " + maxVcpus + " vCPUs in use");
        }
        if (maxMemoryMb > 0 && memoryInUse + memoryMb > maxMemoryMb) {
            return planError("memory_limit", "plan allows " + maxMemoryMb + " MB memory in use");
        }
        return null;
    }

    private static ApiError planError(String code, String message) {
        return new ApiError(402, code, message, false, Map.of());
    }

    private boolean pause(TestCapsule c, WrennTestServer.Answer answer) {
        if (!server.current()) {
            if (!"running".equals(c.status)) {
                return answer.error(new ApiError(409, "invalid_state", "sandbox is not running"));
            }
            c.status = "paused";
            return answer.json(200, json(c, false));
        }
        if ("paused".equals(c.status)) {
            return answer.json(202, json(c, false));
        }
        if (!"running".equals(c.status)) {
            return answer.error(server.notRunning(c.status));
        }
        server.transition(c, "pausing", "paused", server.transitionDelay(), () -> {});
        return answer.json(202, json(c, false));
    }

    private boolean resume(TestCapsule c, WrennTestServer.Answer answer) {
        if (!server.current()) {
            if (!"paused".equals(c.status)) {
                return answer.error(new ApiError(409, "invalid_state", "sandbox is not paused"));
            }
            c.status = "running";
            c.lastActive = Instant.now();
            return answer.json(200, json(c, false));
        }
        if ("running".equals(c.status)) {
            return answer.json(202, json(c, false));
        }
        if (!"paused".equals(c.status)) {
            return answer.error(new ApiError(
                    409, "sandbox_not_paused", "Sandbox is not paused.", false, Map.of("status", c.status)));
        }
        server.transition(c, "resuming", "running", server.transitionDelay(), () -> {});
        return answer.json(202, json(c, false));
    }

    private boolean destroy(TestCapsule c, WrennTestServer.Answer answer) {
        if (!server.current()) {
            server.forget(c);
            samples.remove(c.id);
            return answer.empty(204);
        }
        if (!"stopped".equals(c.status) && !"error".equals(c.status)) {
            server.transition(c, "stopping", "stopped", server.transitionDelay(), () -> {
                WrennTestServer.killAll(c);
                samples.remove(c.id);
            });
        }
        return answer.empty(202);
    }

    private boolean metrics(TestCapsule c, String range, WrennTestServer.Answer answer) {
        String tier = range == null || range.isEmpty() ? (server.current() ? "5m" : "10m") : range;
        Set<String> known = server.current() ? RANGES_CURRENT : RANGES_V0_1_5;
        if (!known.contains(tier)) {
            return answer.error(new ApiError(
                    400,
                    "invalid_request",
                    server.current()
                            ? "Range must be one of: 5m, 1h, 6h, 24h."
                            : "range must be one of: 5m, 10m, 1h, 2h, 6h, 12h, 24h"));
        }
        if (!"running".equals(c.status) && !"paused".equals(c.status)) {
            return answer.error(new ApiError(
                    404,
                    server.current() ? "sandbox_not_found" : "not_found",
                    "metrics not available for sandbox in state: " + c.status));
        }
        Duration span = spanOf(tier);
        long from = Instant.now().minus(span).getEpochSecond();
        List<Sample> points = new ArrayList<>();
        Deque<Sample> kept = samples.get(c.id);
        if (kept != null) {
            synchronized (kept) {
                kept.stream().filter(s -> s.timestampUnix() >= from).forEach(points::add);
            }
        }
        ObjectNode out = WrennTestServer.JSON.createObjectNode();
        out.put("sandbox_id", c.id);
        out.put("range", tier);
        ArrayNode list = out.putArray("points");
        for (Sample s : averaged(points, bucketOf(tier))) {
            ObjectNode p = list.addObject();
            p.put("timestamp_unix", s.timestampUnix());
            p.put("cpu_pct", s.cpuPct());
            p.put("mem_bytes", s.memBytes());
            p.put("disk_bytes", s.diskBytes());
        }
        return answer.json(200, out);
    }

    private static Duration spanOf(String tier) {
        return switch (tier) {
            case "5m" -> Duration.ofMinutes(5);
            case "10m" -> Duration.ofMinutes(10);
            case "1h" -> Duration.ofHours(1);
            case "2h" -> Duration.ofHours(2);
            case "6h" -> Duration.ofHours(6);
            case "12h" -> Duration.ofHours(12);
            default -> Duration.ofHours(24);
        };
    }

    /** Seconds per averaged bucket of a tier, 0 for the raw samples. */
    private static long bucketOf(String tier) {
        return switch (tier) {
            case "5m", "10m" -> 0;
            case "1h", "2h" -> 30;
            default -> 300;
        };
    }

    private static List<Sample> averaged(List<Sample> points, long bucketSeconds) {
        if (bucketSeconds == 0 || points.isEmpty()) {
            return points;
        }
        Map<Long, List<Sample>> buckets = new LinkedHashMap<>();
        for (Sample s : points) {
            buckets.computeIfAbsent(s.timestampUnix() / bucketSeconds, k -> new ArrayList<>())
                    .add(s);
        }
        List<Sample> out = new ArrayList<>();
        for (Map.Entry<Long, List<Sample>> b : buckets.entrySet()) {
            List<Sample> in = b.getValue();
            out.add(new Sample(
                    b.getKey() * bucketSeconds,
                    in.stream().mapToDouble(Sample::cpuPct).average().orElse(0),
                    (long) in.stream().mapToLong(Sample::memBytes).average().orElse(0),
                    (long) in.stream().mapToLong(Sample::diskBytes).average().orElse(0)));
        }
        return out;
    }

    // ---- sampling, as the host agent's sampler

    /**
     * Takes one sample of every running capsule; called by the server's timer every 500 ms. The
     * process table is read once per sample, however many capsules and processes there are; the
     * disk is walked every fourth sample (2 s), its last size standing in between.
     */
    void sample() {
        long now = System.nanoTime();
        double elapsedSeconds = Math.max(1e-3, (now - lastSampleNanos) / 1e9);
        lastSampleNanos = now;
        long stamp = Instant.now().getEpochSecond();
        boolean walkDisk = samplesTaken++ % 4 == 0;
        Map<Long, List<ProcessHandle>> children = null;
        for (TestCapsule c : server.allCapsules()) {
            if (!"running".equals(c.status)) {
                continue;
            }
            List<LocalProcess> listed = c.daemon.list();
            if (children == null && !listed.isEmpty()) {
                children = childrenByParent();
            }
            long cpuNanos = 0;
            long rss = BASE_MEMORY;
            for (LocalProcess p : listed) {
                for (ProcessHandle each : tree(p.pid(), children)) {
                    cpuNanos += each.info()
                            .totalCpuDuration()
                            .map(Duration::toNanos)
                            .orElse(0L);
                    rss += residentBytes(each.pid());
                }
            }
            Long before = lastCpuNanos.put(c.id, cpuNanos);
            double used = before == null ? 0 : Math.max(0, cpuNanos - before) / 1e9;
            double pct = Math.min(100, used / (elapsedSeconds * Math.max(1, c.vcpus)) * 100);
            long disk = walkDisk ? diskBytes(c.workDir) : lastDisk.getOrDefault(c.id, 0L);
            lastDisk.put(c.id, disk);
            store(c.id, new Sample(stamp, pct, rss, disk));
        }
    }

    private static Map<Long, List<ProcessHandle>> childrenByParent() {
        Map<Long, List<ProcessHandle>> children = new HashMap<>();
        ProcessHandle.allProcesses()
                .forEach(h -> h.parent()
                        .ifPresent(parent -> children.computeIfAbsent(parent.pid(), k -> new ArrayList<>())
                                .add(h)));
        return children;
    }

    /** A process and all its descendants, from one reading of the process table. */
    private static List<ProcessHandle> tree(long pid, Map<Long, List<ProcessHandle>> children) {
        List<ProcessHandle> out = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(out::add);
        for (int i = 0; i < out.size(); i++) {
            out.addAll(
                    children == null
                            ? List.of()
                            : children.getOrDefault(out.get(i).pid(), List.of()));
        }
        return out;
    }

    private void store(String capsuleId, Sample sample) {
        Deque<Sample> kept = samples.computeIfAbsent(capsuleId, k -> new ArrayDeque<>());
        synchronized (kept) {
            kept.addLast(sample);
            while (kept.size() > SAMPLES_KEPT) {
                kept.removeFirst();
            }
        }
    }

    private static long residentBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // The process ended between the listing and the read.
        }
        return 0;
    }

    private static long diskBytes(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(f -> {
                        try {
                            return Files.size(f);
                        } catch (IOException e) {
                            return 0;
                        }
                    })
                    .sum();
        } catch (IOException | UncheckedIOException e) {
            // Files come and go while commands run: this sample misses them.
            return 0;
        }
    }

    /** A capsule as the API shows it; only a get carries the disk use (newer servers). */
    ObjectNode json(TestCapsule c, boolean withDiskUse) {
        ObjectNode n = WrennTestServer.JSON.createObjectNode();
        n.put("id", c.id);
        n.put("status", c.status);
        n.put("template", c.template);
        n.put("vcpus", c.vcpus);
        n.put("memory_mb", c.memoryMb);
        n.put("timeout_sec", c.timeoutSec);
        if (server.current()) {
            n.put("disk_size_mb", 5120);
            if (withDiskUse) {
                n.put("disk_used_mb", diskBytes(c.workDir) / (1024 * 1024));
            }
        }
        n.put("created_at", c.createdAt.toString());
        n.put("started_at", c.createdAt.toString());
        n.put("last_active_at", c.lastActive.toString());
        n.put("last_updated", Instant.now().toString());
        if (!c.metadata.isEmpty()) {
            ObjectNode m = n.putObject("metadata");
            c.metadata.forEach(m::put);
        }
        return n;
    }
}
