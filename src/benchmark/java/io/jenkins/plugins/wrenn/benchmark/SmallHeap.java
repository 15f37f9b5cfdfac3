package io.jenkins.plugins.wrenn.benchmark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs a main class in a child JVM limited to 64 MiB of heap, to show that memory stays bounded. */
final class SmallHeap {

    /** What the child printed (standard output and error together) and its exit code. */
    record Result(String output, int exitCode) {}

    private SmallHeap() {}

    static Result run(Class<?> main, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(output, p.waitFor());
    }
}
