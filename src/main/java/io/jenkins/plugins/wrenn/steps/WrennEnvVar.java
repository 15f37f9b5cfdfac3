package io.jenkins.plugins.wrenn.steps;

import hudson.Extension;
import hudson.model.Describable;
import hudson.model.Descriptor;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import org.kohsuke.stapler.DataBoundConstructor;

/**
 * One environment variable of {@code wrennExec}: how {@code envs} is described to structs (the
 * Snippet Generator, the step reference, Declarative), which has no type for a map. A Pipeline
 * writes the map {@code envs: [PORT: 8080, DEBUG: true]}; the step's descriptor turns it into these
 * on the way in ({@link #listForm}) and back into the map for a snippet ({@link #scriptForm}), as
 * {@code withEnv} takes {@code 'KEY=VALUE'} strings and the kubernetes plugin's {@code envVars}
 * takes a list of variables.
 */
public final class WrennEnvVar implements Describable<WrennEnvVar> {

    /** The step's parameter these make up. */
    static final String ENVS = "envs";

    private static final String NAME = "name";
    private static final String VALUE = "value";

    private final String name;
    private final String value;

    /**
     * @param name the variable's name; an empty one is refused when the step runs
     * @param value its text; null (a Pipeline's {@code [TOKEN: null]}) is refused when the step runs,
     *     naming the variable
     */
    @DataBoundConstructor
    public WrennEnvVar(String name, String value) {
        this.name = name == null ? "" : name.strip();
        this.value = value;
    }

    public String getName() {
        return name;
    }

    public String getValue() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WrennEnvVar v && name.equals(v.name) && Objects.equals(value, v.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, value);
    }

    @Override
    public String toString() {
        // Never the value: it may be a secret from withCredentials.
        return "WrennEnvVar[" + name + "]";
    }

    /**
     * A step's arguments with a map-valued {@code envs} turned into the list of variables the step
     * takes: numbers and booleans become their text, as in a shell; a null value stays missing and
     * an empty name stays empty, so that the step, when it starts, fails with a sentence naming the
     * variable (an error here would reach the build log as a stack trace). Other arguments, and an
     * {@code envs} that is already a list, pass unchanged.
     *
     * @throws IllegalArgumentException naming the variable, for a value that is not text, a number
     *     or a boolean (a list, say)
     */
    static Map<String, Object> listForm(Map<String, Object> arguments) {
        if (!(arguments.get(ENVS) instanceof Map<?, ?> envs)) {
            return arguments;
        }
        List<Map<String, Object>> variables = new ArrayList<>();
        for (Map.Entry<?, ?> e : envs.entrySet()) {
            Map<String, Object> variable = new LinkedHashMap<>();
            String name = e.getKey() == null ? "" : e.getKey().toString().strip();
            variable.put(NAME, name);
            if (e.getValue() != null) {
                variable.put(VALUE, text(name, e.getValue()));
            }
            variables.add(variable);
        }
        Map<String, Object> converted = new LinkedHashMap<>(arguments);
        converted.put(ENVS, variables);
        return converted;
    }

    private static String text(String name, Object value) {
        if (value instanceof BigDecimal decimal) {
            // Groovy's 1.5 is a BigDecimal; its toString() may use an exponent (1E+3).
            return decimal.toPlainString();
        }
        if (value instanceof CharSequence || value instanceof Number || value instanceof Boolean) {
            // CharSequence covers Groovy's GString ("http://${host}").
            return value.toString();
        }
        throw new IllegalArgumentException(
                Messages.WrennExecStep_EnvNotText(name, value.getClass().getSimpleName()));
    }

    /**
     * A step's described arguments with the list of variables written back as the map a Jenkinsfile
     * gives, {@code envs: [PORT: '8080']}, in the arguments' name order. The list stays when it has
     * no map form: a name twice, or an element without a name.
     *
     * @param fieldsOf the arguments of one described variable, or null if it is not one
     */
    static Map<String, Object> scriptForm(Map<String, ?> arguments, Function<Object, Map<String, ?>> fieldsOf) {
        Map<String, Object> converted = new TreeMap<>(arguments);
        if (!(arguments.get(ENVS) instanceof List<?> variables)) {
            return converted;
        }
        Map<String, Object> envs = new LinkedHashMap<>();
        for (Object variable : variables) {
            Map<String, ?> fields = fieldsOf.apply(variable);
            if (fields == null || !(fields.get(NAME) instanceof String name) || envs.containsKey(name)) {
                return converted;
            }
            envs.put(name, fields.get(VALUE));
        }
        converted.put(ENVS, envs);
        return converted;
    }

    /** Makes the variable describable; it has no form of its own (the step's form lists rows). */
    @Extension
    public static final class DescriptorImpl extends Descriptor<WrennEnvVar> {

        @Override
        public String getDisplayName() {
            return Messages.WrennEnvVar_DisplayName();
        }
    }
}
