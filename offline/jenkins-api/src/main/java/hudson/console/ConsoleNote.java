package hudson.console;

import hudson.ExtensionPoint;
import hudson.MarkupText;
import hudson.model.Describable;
import java.io.IOException;
import java.io.Serializable;

public abstract class ConsoleNote<T> implements Serializable, Describable<ConsoleNote<?>>, ExtensionPoint {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("rawtypes")
    public abstract ConsoleAnnotator annotate(T context, MarkupText text, int charPos);

    public native String encode() throws IOException;
}
