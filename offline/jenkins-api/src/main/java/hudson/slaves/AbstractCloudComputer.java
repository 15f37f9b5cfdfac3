package hudson.slaves;

import edu.umd.cs.findbugs.annotations.CheckForNull;

public class AbstractCloudComputer<T extends AbstractCloudSlave> extends SlaveComputer {
    public AbstractCloudComputer(T slave) {
        super(slave);
    }

    @CheckForNull
    @Override
    public native T getNode();
}
