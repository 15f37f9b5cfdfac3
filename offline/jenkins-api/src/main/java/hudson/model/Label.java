package hudson.model;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.model.labels.LabelAtom;
import hudson.slaves.NodeProvisioner;
import java.util.Collection;
import java.util.Set;

public abstract class Label extends Actionable {
    public final transient NodeProvisioner nodeProvisioner = null;

    protected Label(@NonNull String name) {}

    public final native boolean matches(Collection<LabelAtom> labels);

    public static native Set<LabelAtom> parse(@CheckForNull String labels);
}
