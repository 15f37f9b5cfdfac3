package hudson.util;

import hudson.model.Run;
import java.util.AbstractList;

@SuppressWarnings("rawtypes")
public class RunList<R extends Run> extends AbstractList<R> {
    public native RunList<R> limit(int n);

    @Override
    public native R get(int index);

    @Override
    public native int size();
}
