package io.jenkins.plugins.wrenn.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hudson.Extension;
import io.jenkins.plugins.wrenn.JenkinsFreePackagesTest;
import io.jenkins.plugins.wrenn.agents.TemplateRequest;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * What keeps {@code agent { wrenn { ... } }} working without running Jenkins: Pipeline: Declarative
 * is an optional dependency, so only the agent class may refer to it, through an optional
 * extension; its Groovy script must be where Declarative looks for it and call the step by its
 * name; and the agent must hand the step every field the step takes, under the same name.
 */
class DeclarativeAgentShapeTest {

    static final String DECLARATIVE_PACKAGE = "org.jenkinsci.plugins.pipeline.modeldefinition";

    @Test
    void onlyTheAgentClassRefersToTheOptionalPlugin() throws IOException {
        Path root = JenkinsFreePackagesTest.mainSources();
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String name = file.getFileName().toString();
                if (name.equals("WrennDeclarativeAgent.java")) {
                    continue;
                }
                String text = Files.readString(file, StandardCharsets.UTF_8);
                if (text.contains(DECLARATIVE_PACKAGE) || text.contains("WrennDeclarativeAgent")) {
                    found.add(root.relativize(file).toString());
                }
            }
        }
        assertEquals(List.of(), found, "classes that would fail to load without Pipeline: Declarative");
    }

    @Test
    void itsDescriptorIsAnOptionalExtension() {
        Extension extension = WrennDeclarativeAgent.DescriptorImpl.class.getAnnotation(Extension.class);
        assertNotNull(extension, "the descriptor is an extension");
        assertTrue(extension.optional(), "an optional one, skipped when Pipeline: Declarative is missing");
    }

    @Test
    void theScriptIsWhereDeclarativeLooksAndCallsTheStep() throws IOException {
        // WithScriptDescriptor.getScriptClass(): the describable's class name with Script appended.
        String resource = "/" + WrennDeclarativeAgent.class.getName().replace('.', '/') + "Script.groovy";
        String script;
        try (InputStream in = WrennDeclarativeAgent.class.getResourceAsStream(resource)) {
            assertNotNull(in, resource + " is packaged");
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(script.contains("package " + WrennDeclarativeAgent.class.getPackageName() + "\n"), script);
        assertTrue(
                script.contains("class WrennDeclarativeAgentScript extends DeclarativeAgentScript2<"
                        + WrennDeclarativeAgent.class.getSimpleName() + ">"),
                script);
        String step = new WrennAgentStep.DescriptorImpl().getFunctionName();
        assertTrue(script.contains("script." + step + "(describable.asArgs)"), script);
        assertTrue(script.contains("script.node(script.env." + WrennAgentStep.ENV_LABEL + ")"), script);
        // Declarative's own fields: the workspace for the checkout, and retries of an agent lost mid-build.
        assertTrue(
                script.contains("CheckoutScript.doCheckout2(script, describable, describable.customWorkspace, body)"),
                script);
        assertTrue(
                script.contains(
                        "script.retry(count: describable.retries, conditions: [script.agent(), script.nonresumable()])"),
                script);
    }

    /** Declarative's own fields, which its script uses and does not pass to the step. */
    static final Map<String, Class<?>> DECLARATIVE_ONLY = Map.of("retries", int.class, "customWorkspace", String.class);

    @Test
    void theAgentTakesAndPassesOnEveryFieldOfTheStep() {
        Map<String, Class<?>> stepFields = setters(WrennAgentStep.class);
        Map<String, Class<?>> agentFields = new TreeMap<>(setters(WrennDeclarativeAgent.class));
        for (Map.Entry<String, Class<?>> own : DECLARATIVE_ONLY.entrySet()) {
            assertEquals(own.getValue(), agentFields.remove(own.getKey()), "Declarative's own " + own.getKey());
        }
        assertEquals(stepFields, agentFields, "the same fields as the step, of the same types");
        assertTrue(
                stepFields.keySet().containsAll(TemplateRequest.OVERRIDABLE),
                stepFields.keySet().toString());

        WrennDeclarativeAgent agent = new WrennDeclarativeAgent();
        assertEquals(Map.of(), agent.getAsArgs(), "nothing set, nothing passed on");
        agent.setCloud("wrenn");
        agent.setInheritFrom("python");
        agent.setTemplate("python-3.12");
        agent.setVcpus(4);
        agent.setMemoryMb(8192);
        agent.setRemoteRoot("/work");
        agent.setConnectTimeout(30);
        agent.setJavaCommand("/opt/java/bin/java");
        agent.setKeep("onFailure");
        // (retries is Declarative's class's own, whose offline declaration cannot run.)
        agent.setCustomWorkspace("custom-ws");
        Map<String, Object> args = agent.getAsArgs();
        assertEquals(stepFields.keySet(), args.keySet(), "Declarative's own fields stay in the script");
        for (Map.Entry<String, Object> arg : args.entrySet()) {
            Class<?> type = stepFields.get(arg.getKey());
            assertTrue(
                    type == int.class ? arg.getValue() instanceof Integer : type.isInstance(arg.getValue()),
                    arg + " fits the step's " + type);
        }
    }

    @Test
    void bothFormsHaveEveryFieldAndEachFieldItsHelp() throws Exception {
        Set<String> fields = setters(WrennAgentStep.class).keySet();
        assertEquals(fields, formFields(WrennAgentStep.class), "WrennAgentStep/config.jelly");
        Set<String> agentFields = new TreeSet<>(fields);
        agentFields.addAll(DECLARATIVE_ONLY.keySet());
        assertEquals(agentFields, formFields(WrennDeclarativeAgent.class), "WrennDeclarativeAgent/config.jelly");
        // The agent's descriptor redirects each of the step's fields' help to the step's.
        for (String field : fields) {
            assertNotNull(help(WrennAgentStep.class, field), field);
        }
        for (String field : DECLARATIVE_ONLY.keySet()) {
            assertNotNull(help(WrennDeclarativeAgent.class, field), field);
        }
    }

    static URL help(Class<?> type, String field) {
        return type.getResource("/" + type.getName().replace('.', '/') + "/help-" + field + ".html");
    }

    static Set<String> formFields(Class<?> type) throws IOException {
        String view = "/" + type.getName().replace('.', '/') + "/config.jelly";
        try (InputStream in = type.getResourceAsStream(view)) {
            assertNotNull(in, view);
            Matcher m =
                    Pattern.compile("field=\"(\\w+)\"").matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            Set<String> found = new TreeSet<>();
            while (m.find()) {
                found.add(m.group(1));
            }
            return found;
        }
    }

    /** The {@code @DataBoundSetter} properties of a class, by name, with their types. */
    static Map<String, Class<?>> setters(Class<?> type) {
        Map<String, Class<?>> found = new TreeMap<>();
        for (Method m : type.getMethods()) {
            if (m.isAnnotationPresent(DataBoundSetter.class)) {
                String property = m.getName().substring("set".length());
                found.put(Character.toLowerCase(property.charAt(0)) + property.substring(1), m.getParameterTypes()[0]);
            }
        }
        return found;
    }
}
