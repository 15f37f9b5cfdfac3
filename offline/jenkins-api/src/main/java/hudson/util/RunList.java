package hudson.util;

import hudson.model.Run;
import java.util.AbstractList;

@SuppressWarnings("rawtypes")
public class RunList<R extends Run> extends AbstractList<R> {
    public RunList<R> limit(int n) {
        throw new UnsupportedOperationException("declaration only");
    }

    @Override
    public R get(int index) {
        throw new UnsupportedOperationException("declaration only");
    }

    @Override
    public int size() {
        throw new UnsupportedOperationException("declaration only");
    }
}
