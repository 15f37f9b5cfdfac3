package io.jenkins.plugins.wrenn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * Stapler finds a class's views, help and adjuncts by the class's name, and Declarative finds an
 * agent's script the same way, so a resource left behind when its class moves is silently never
 * shown. Every view directory must therefore name a class of the sources, every {@code *Script.groovy}
 * its class and package, and every adjunct of the plugin a file.
 */
class ResourcesBesideTheirClassesTest {

    static final Pattern ADJUNCT =
            Pattern.compile("<st:adjunct\\s+includes=\"(io\\.jenkins\\.plugins\\.wrenn\\.[^\"]+)\"");

    static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)", Pattern.MULTILINE);

    /** Whether the sources below {@code java} declare the top-level class of a class file's name. */
    static boolean hasClass(Path java, String relativeName) {
        int nested = relativeName.indexOf('$');
        return Files.exists(java.resolve((nested < 0 ? relativeName : relativeName.substring(0, nested)) + ".java"));
    }

    /** What is wrong with the resources below {@code root}, beside the Java sources below {@code java}. */
    static List<String> strays(Path java, Path root) throws IOException {
        Path plugin = root.resolve("io/jenkins/plugins/wrenn");
        List<String> found = new ArrayList<>();
        List<Path> all;
        try (Stream<Path> files = Files.walk(plugin)) {
            all = files.sorted().toList();
        }
        for (Path p : all) {
            String name = p.getFileName().toString();
            String where = root.relativize(p).toString().replace('\\', '/');
            if (Files.isDirectory(p) && Character.isUpperCase(name.charAt(0))) {
                if (!hasClass(java, where)) {
                    found.add(where + ": no class " + name + " beside it");
                }
            } else if (name.endsWith("Script.groovy")) {
                String owner = name.substring(0, name.length() - "Script.groovy".length());
                if (!hasClass(java, root.relativize(p.resolveSibling(owner)).toString())) {
                    found.add(where + ": no class " + owner + " beside it");
                }
                Matcher m = PACKAGE.matcher(Files.readString(p, StandardCharsets.UTF_8));
                String pkg = root.relativize(p.getParent())
                        .toString()
                        .replace('\\', '/')
                        .replace('/', '.');
                if (!m.find() || !m.group(1).equals(pkg)) {
                    found.add(where + ": not in package " + pkg);
                }
            } else if (name.endsWith(".jelly")) {
                Matcher m = ADJUNCT.matcher(Files.readString(p, StandardCharsets.UTF_8));
                while (m.find()) {
                    String base = m.group(1).replace('.', '/');
                    if (!Files.exists(root.resolve(base + ".js")) && !Files.exists(root.resolve(base + ".css"))) {
                        found.add(where + ": no adjunct " + m.group(1));
                    }
                }
            }
        }
        return found;
    }

    @Test
    void everyViewScriptAndAdjunctHasItsClassOrFile() throws Exception {
        // The sources, not the build output: a build that is not clean still holds moved views.
        Path java = JenkinsFreePackagesTest.mainSources()
                .getParent()
                .getParent()
                .getParent()
                .getParent();
        assertEquals(List.of(), strays(java, java.resolveSibling("resources")));
    }

    @Test
    void theCheckFindsWhatAMoveLeftBehind(@TempDir Path dir) throws IOException {
        Path java = Files.createDirectories(dir.resolve("java/io/jenkins/plugins/wrenn/steps"));
        Files.createFile(java.resolve("Kept.java"));
        Path root = dir.resolve("resources");
        Path pkg = Files.createDirectories(root.resolve("io/jenkins/plugins/wrenn/steps"));
        Files.createDirectories(pkg.resolve("Kept$Nested"));
        Files.createDirectories(pkg.resolve("Kept"));
        Files.writeString(pkg.resolve("Kept/view.jelly"), """
                <st:adjunct includes="io.jenkins.plugins.wrenn.steps.Kept.chart"/>
                <st:adjunct includes="io.jenkins.plugins.wrenn.Moved.chart"/>
                <st:adjunct includes="io.jenkins.plugins.echarts"/>
                """);
        Files.createFile(pkg.resolve("Kept/chart.js"));
        Files.createDirectories(pkg.resolve("Moved"));
        Files.writeString(pkg.resolve("KeptScript.groovy"), "package io.jenkins.plugins.wrenn\n");
        assertEquals(
                List.of(
                        "io/jenkins/plugins/wrenn/steps/Kept/view.jelly: no adjunct io.jenkins.plugins.wrenn.Moved.chart",
                        "io/jenkins/plugins/wrenn/steps/KeptScript.groovy: not in package io.jenkins.plugins.wrenn.steps",
                        "io/jenkins/plugins/wrenn/steps/Moved: no class Moved beside it"),
                strays(dir.resolve("java"), root));
    }
}
