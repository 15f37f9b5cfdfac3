package io.jenkins.plugins.wrenn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps every package below {@code io.jenkins.plugins.wrenn} free of Jenkins APIs, so all behaviour
 * there runs and is tested without Jenkins. Only the top package adapts to Jenkins.
 */
class JenkinsFreePackagesTest {

    /** An import of, or a qualified reference to, a Jenkins-side package. */
    static final Pattern JENKINS_API =
            Pattern.compile("(?<![\\w.])(hudson|jenkins|org\\.kohsuke|org\\.jenkinsci|com\\.cloudbees)\\.[a-zA-Z]");

    static Path mainSources() {
        String dir = System.getProperty("wrenn.mainSources");
        assertNotNull(dir, "the build must set the system property wrenn.mainSources to src/main/java");
        Path path = Path.of(dir, "io", "jenkins", "plugins", "wrenn");
        assertTrue(Files.isDirectory(path), path + " is not a directory");
        return path;
    }

    static List<String> violations(Path root) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> !f.getParent().equals(root))
                    .toList()) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    String code = lines.get(i).replaceAll("//.*", "").replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
                    String trimmed = code.strip();
                    if (trimmed.startsWith("*") || trimmed.startsWith("/*")) {
                        continue;
                    }
                    Matcher m = JENKINS_API.matcher(code);
                    if (m.find()) {
                        found.add(root.relativize(file) + ":" + (i + 1) + ": " + trimmed);
                    }
                }
            }
        }
        return found;
    }

    @Test
    void subpackagesDoNotUseJenkinsApis() throws IOException {
        Path root = mainSources();
        try (Stream<Path> dirs = Files.list(root)) {
            assertTrue(dirs.anyMatch(Files::isDirectory), "no Jenkins-free package found under " + root);
        }
        assertEquals(List.of(), violations(root));
    }

    @Test
    void theCheckCatchesImportsAndQualifiedNames(@TempDir Path tmp) throws IOException {
        Path pkg = Files.createDirectories(tmp.resolve("exec"));
        Files.writeString(pkg.resolve("Bad.java"), """
                package x.exec;
                import hudson.model.Run;
                // jenkins.model.Jenkins in a comment is fine
                class Bad {
                    String s = "org.kohsuke.stapler in a string is fine";
                    Object o = org.jenkinsci.plugins.workflow.steps.StepContext.class;
                }
                """);
        Files.writeString(tmp.resolve("TopLevel.java"), "import hudson.model.Run;\n");
        List<String> found = violations(tmp);
        assertEquals(2, found.size(), found.toString());
        assertTrue(found.get(0).contains(":2:") && found.get(1).contains(":6:"), found.toString());
    }
}
