package hudson.util;

import java.util.ArrayList;

public class ListBoxModel extends ArrayList<ListBoxModel.Option> {
    private static final long serialVersionUID = 1L;

    public ListBoxModel() {}

    public native void add(String displayName, String value);

    public native ListBoxModel add(String nameAndValue);

    public static final class Option {
        private Option() {}
    }
}
