package hudson.console;

import hudson.MarkupText;
import java.io.Serializable;

public abstract class ConsoleAnnotator<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    public abstract ConsoleAnnotator<T> annotate(T context, MarkupText text);
}
