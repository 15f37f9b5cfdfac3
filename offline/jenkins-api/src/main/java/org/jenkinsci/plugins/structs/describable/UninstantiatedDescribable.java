package org.jenkinsci.plugins.structs.describable;

import java.io.Serializable;
import java.util.Map;

public class UninstantiatedDescribable implements Serializable {
    private static final long serialVersionUID = 1L;

    private UninstantiatedDescribable() {}

    public native UninstantiatedDescribable withArguments(Map<String, ?> arguments);

    public native Map<String, ?> getArguments();
}
