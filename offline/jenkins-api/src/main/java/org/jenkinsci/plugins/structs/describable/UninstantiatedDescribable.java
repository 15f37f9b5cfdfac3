package org.jenkinsci.plugins.structs.describable;

import java.io.Serializable;
import java.util.Map;

public class UninstantiatedDescribable implements Serializable {
    private static final long serialVersionUID = 1L;

    private UninstantiatedDescribable() {}

    public UninstantiatedDescribable withArguments(Map<String, ?> arguments) {
        throw new UnsupportedOperationException("declaration only");
    }

    public Map<String, ?> getArguments() {
        throw new UnsupportedOperationException("declaration only");
    }
}
