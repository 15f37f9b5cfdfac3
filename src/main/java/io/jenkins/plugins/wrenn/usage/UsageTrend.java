package io.jenkins.plugins.wrenn.usage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Comparator;
import java.util.List;

/** The data of a job's usage trend chart: one point per build, oldest first. */
public final class UsageTrend {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A build's totals. */
    public record Point(int build, BuildUsage usage) {}

    private UsageTrend() {}

    /**
     * {@code {"builds":["#1",...],"vcpuSeconds":[...],"gibSeconds":[...]}}: the reserved vCPU-seconds
     * and memory GiB-seconds of each build, which do not depend on the metrics being readable.
     */
    public static String json(List<Point> points) {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode builds = out.putArray("builds");
        ArrayNode vcpu = out.putArray("vcpuSeconds");
        ArrayNode gib = out.putArray("gibSeconds");
        points.stream().sorted(Comparator.comparingInt(Point::build)).forEach(p -> {
            builds.add("#" + p.build());
            vcpu.add(round(p.usage().vcpuSeconds()));
            gib.add(round(p.usage().mbSeconds() / 1024));
        });
        try {
            return JSON.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of numbers and strings always writes", e);
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
