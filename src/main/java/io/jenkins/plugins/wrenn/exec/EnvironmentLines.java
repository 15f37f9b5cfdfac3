package io.jenkins.plugins.wrenn.exec;

import java.util.LinkedHashMap;
import java.util.Map;

/** Reads environment variables written one {@code KEY=VALUE} per line, as a build step form takes them. */
public final class EnvironmentLines {

    private EnvironmentLines() {}

    /**
     * Parses the lines; blank lines and lines starting with {@code #} are skipped.
     *
     * @throws IllegalArgumentException naming the line that is not {@code KEY=VALUE}
     */
    public static Map<String, String> parse(String text) {
        Map<String, String> envs = new LinkedHashMap<>();
        if (text == null) {
            return envs;
        }
        String[] lines = text.split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("envs: line " + (i + 1) + " is not KEY=VALUE: '" + line + "'");
            }
            envs.put(line.substring(0, eq).strip(), line.substring(eq + 1));
        }
        return envs;
    }
}
