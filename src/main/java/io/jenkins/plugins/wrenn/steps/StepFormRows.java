package io.jenkins.plugins.wrenn.steps;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Snippet Generator's rows for {@code args} and {@code envs} of {@code wrennExec}, turned into the
 * step's arguments and variables, and back into rows for the form. A submitted form holds one
 * JSON object per row, and a single object instead of an array when there is only one row.
 */
public final class StepFormRows {

    /** The form's names for the rows: none is a property of the step, so that binding leaves them alone. */
    static final String ARG_ROWS = "argRows";

    static final String ENV_ROWS = "envRows";

    /** Form field of an argument row. */
    static final String ARG = "arg";

    /** Form fields of an environment variable row. */
    static final String NAME = "name";

    static final String VALUE = "value";

    private StepFormRows() {}

    /** The arguments of the submitted rows, in order; rows left empty are dropped. */
    static List<String> args(Object rows) {
        List<String> args = new ArrayList<>();
        for (Map<?, ?> row : rows(rows)) {
            String arg = text(row.get(ARG));
            if (!arg.isEmpty()) {
                args.add(arg);
            }
        }
        return args;
    }

    /**
     * The variables of the submitted rows, in order; a name is trimmed, and a row with neither name
     * nor value is dropped. A value without a name is kept, so the step names the mistake when it runs.
     */
    static List<WrennEnvVar> envs(Object rows) {
        List<WrennEnvVar> envs = new ArrayList<>();
        for (Map<?, ?> row : rows(rows)) {
            String name = text(row.get(NAME)).strip();
            String value = text(row.get(VALUE));
            if (!name.isEmpty() || !value.isEmpty()) {
                envs.add(new WrennEnvVar(name, value));
            }
        }
        return envs;
    }

    /** The step's variables as form rows, for showing a configured step. */
    static List<Variable> variables(List<WrennEnvVar> envs) {
        List<Variable> rows = new ArrayList<>();
        if (envs != null) {
            for (WrennEnvVar v : envs) {
                rows.add(new Variable(v.getName(), v.getValue() == null ? "" : v.getValue()));
            }
        }
        return rows;
    }

    private static List<Map<?, ?>> rows(Object rows) {
        List<Map<?, ?>> list = new ArrayList<>();
        if (rows instanceof Map<?, ?> row) {
            list.add(row);
        } else if (rows instanceof List<?> many) {
            for (Object row : many) {
                if (row instanceof Map<?, ?> map) {
                    list.add(map);
                }
            }
        }
        return list;
    }

    private static String text(Object value) {
        return value instanceof String s ? s : "";
    }

    /** One environment variable row of the form; public with getters so that Jelly can read it. */
    public static final class Variable {
        private final String name;
        private final String value;

        Variable(String name, String value) {
            this.name = name;
            this.value = value;
        }

        public String getName() {
            return name;
        }

        public String getValue() {
            return value;
        }
    }
}
