package io.jenkins.plugins.wrenn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the packages that hold the plugin's behaviour free of Jenkins APIs, so all of it runs and is
 * tested without Jenkins; the top package and the adapter packages (grouped by what users see) adapt
 * it to Jenkins. Every package below {@code io.jenkins.plugins.wrenn} is one or the other: a new
 * package must be classified here.
 */
public class JenkinsFreePackagesTest {

    /** The packages of behaviour, tested without Jenkins. */
    static final Set<String> JENKINS_FREE =
            Set.of("api", "exec", "lifecycle", "files", "ownership", "capacity", "usage", "agents");

    /** The Jenkins adapters besides the top package's shared ones. */
    static final Set<String> ADAPTERS = Set.of("config", "cloud", "capsules", "steps", "freestyle");

    /** An import of, or a qualified reference to, a Jenkins-side package. */
    static final Pattern JENKINS_API =
            Pattern.compile("(?<![\\w.])(hudson|jenkins|org\\.kohsuke|org\\.jenkinsci|com\\.cloudbees)\\.[a-zA-Z]");

    public static Path mainSources() {
        String dir = System.getProperty("wrenn.mainSources");
        assertNotNull(dir, "the build must set the system property wrenn.mainSources to src/main/java");
        Path path = Path.of(dir, "io", "jenkins", "plugins", "wrenn");
        assertTrue(Files.isDirectory(path), path + " is not a directory");
        return path;
    }

    /** The Jenkins APIs used in the Java files below {@code root}, a package's directory. */
    static List<String> violations(Path root) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
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

    /** The packages directly below {@code root}, by name. */
    static Set<String> packages(Path root) throws IOException {
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory)
                    .map(d -> d.getFileName().toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void everyPackageIsAnAdapterOrJenkinsFree() throws IOException {
        Set<String> unclassified = packages(mainSources());
        unclassified.removeAll(JENKINS_FREE);
        unclassified.removeAll(ADAPTERS);
        assertEquals(Set.of(), unclassified, "add each to JENKINS_FREE or ADAPTERS");
    }

    @Test
    void theJenkinsFreePackagesDoNotUseJenkinsApis() throws IOException {
        Path root = mainSources();
        assertTrue(packages(root).containsAll(JENKINS_FREE), packages(root) + " lacks one of " + JENKINS_FREE);
        List<String> found = new ArrayList<>();
        for (String pkg : new TreeSet<>(JENKINS_FREE)) {
            for (String violation : violations(root.resolve(pkg))) {
                found.add(pkg + "/" + violation);
            }
        }
        assertEquals(List.of(), found);
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
        Files.createDirectories(tmp.resolve("steps"));
        assertEquals(Set.of("exec", "steps"), packages(tmp));
        List<String> found = violations(pkg);
        assertEquals(2, found.size(), found.toString());
        assertTrue(found.get(0).contains(":2:") && found.get(1).contains(":6:"), found.toString());
    }
}
