package hudson.model.labels;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.model.Label;

public class LabelAtom extends Label {
    public LabelAtom(@NonNull String name) {
        super(name);
    }
}
