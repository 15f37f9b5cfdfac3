package io.jenkins.plugins.wrenn.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A process running in a capsule, as listed by the server.
 *
 * @param pid the process id inside the capsule
 * @param tag its tag
 * @param cmd the program
 * @param args its arguments
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProcessInfo(
        @JsonProperty("pid") long pid,
        @JsonProperty("tag") String tag,
        @JsonProperty("cmd") String cmd,
        @JsonProperty("args") List<String> args) {

    public ProcessInfo {
        args = args == null ? List.of() : List.copyOf(args);
    }
}
