package io.jenkins.plugins.wrenn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.Reader;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a Jelly {@code ${%text}}, everything from the first parenthesis on is read as message
 * arguments, so {@code ${%Timeout (seconds)}} renders as "Timeout". A parenthesis is only right
 * where the key is defined in the view's own properties file with arguments to fill. And every text
 * of a properties file goes through {@code MessageFormat} (Stapler's {@code ResourceBundle.format}
 * for a view, the generated {@code Messages} for code), even without arguments, so an apostrophe is
 * written twice: {@code No capsule's} renders as "No capsules".
 */
class JellyLabelsTest {

    static final Pattern LOCALIZED = Pattern.compile("\\$\\{%([^}]*)}");

    /** The plugin's resources as built: the directory holding index.jelly. */
    static Path resources() throws URISyntaxException {
        URL index = JellyLabelsTest.class.getResource("/index.jelly");
        assertNotNull(index, "index.jelly is not on the test class path");
        return Path.of(index.toURI()).getParent();
    }

    /** Texts with a parenthesis whose key the view's properties file does not define. */
    static List<String> argumentsReadFromLabels(Path root) throws IOException {
        List<String> found = new ArrayList<>();
        List<Path> views;
        try (Stream<Path> files = Files.walk(root)) {
            views = files.filter(f -> f.toString().endsWith(".jelly")).sorted().toList();
        }
        for (Path view : views) {
            Properties keys = properties(view);
            Matcher m = LOCALIZED.matcher(Files.readString(view, StandardCharsets.UTF_8));
            while (m.find()) {
                String text = m.group(1);
                int paren = text.indexOf('(');
                if (paren >= 0 && !keys.containsKey(text.substring(0, paren))) {
                    found.add(root.relativize(view).toString().replace('\\', '/') + ": ${%" + text + "}");
                }
            }
        }
        return found;
    }

    static Properties properties(Path view) throws IOException {
        String name = view.getFileName().toString();
        Path file = view.resolveSibling(name.substring(0, name.length() - ".jelly".length()) + ".properties");
        Properties props = new Properties();
        if (Files.exists(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
                props.load(r);
            }
        }
        return props;
    }

    /** Texts of the properties files below {@code root} with an apostrophe that MessageFormat would drop. */
    static List<String> lostApostrophes(Path root) throws IOException {
        List<String> found = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> all = Files.walk(root)) {
            files = all.filter(f -> f.toString().endsWith(".properties"))
                    .sorted()
                    .toList();
        }
        for (Path file : files) {
            Properties props = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
                props.load(r);
            }
            for (String key : props.stringPropertyNames()) {
                String text = props.getProperty(key);
                if (text.replace("''", "").indexOf('\'') >= 0) {
                    found.add(root.relativize(file).toString().replace('\\', '/') + ": " + key + "=" + text);
                }
            }
        }
        return found;
    }

    @Test
    void noTextLosesItsApostrophes() throws Exception {
        assertEquals(List.of(), lostApostrophes(resources()));
    }

    @Test
    void theCheckFindsAnApostropheMessageFormatWouldDrop(@TempDir Path dir) throws Exception {
        Path file = Files.createDirectories(dir.resolve("Action")).resolve("summary.properties");
        Files.writeString(file, "lost=No capsule's metrics\nkept=No capsule''s metrics, {0}\n");
        assertEquals("No capsules metrics", MessageFormat.format("No capsule's metrics", new Object[0]));
        assertEquals(List.of("Action/summary.properties: lost=No capsule's metrics"), lostApostrophes(dir));
    }

    @Test
    void noLabelLosesItsParenthesisedPart() throws Exception {
        assertEquals(List.of(), argumentsReadFromLabels(resources()));
    }

    @Test
    void theCheckFindsALabelWithAUnitInParentheses(@TempDir Path dir) throws Exception {
        Path view = Files.createDirectories(dir.resolve("Step")).resolve("config.jelly");
        Files.writeString(view, "<f:entry title=\"${%Timeout (seconds)}\"/><f:entry title=\"${%Plain}\"/>");
        assertEquals(List.of("Step/config.jelly: ${%Timeout (seconds)}"), argumentsReadFromLabels(dir));
        Files.writeString(view.resolveSibling("config.properties"), "blurb=Read {0}\n");
        Files.writeString(view, "<p>${%blurb(it.url)}</p>");
        assertEquals(List.of(), argumentsReadFromLabels(dir));
    }
}
