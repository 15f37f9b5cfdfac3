package io.jenkins.plugins.wrenn.benchmark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a main class of the benchmark in a child JVM with a given heap limit: to show that memory
 * stays bounded, and to measure the client side apart from the test server, which stays in this JVM.
 */
final class ChildJvm {

    /** What the child printed (standard output and error together) and its exit code. */
    record Result(String output, int exitCode) {}

    private ChildJvm() {}

    static Result run(String maxHeap, Class<?> main, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap,
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(output, p.waitFor());
    }
}
