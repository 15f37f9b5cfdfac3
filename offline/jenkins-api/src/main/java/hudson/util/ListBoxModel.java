package hudson.util;

import java.util.ArrayList;

public class ListBoxModel extends ArrayList<ListBoxModel.Option> {
    private static final long serialVersionUID = 1L;

    public ListBoxModel() {}

    public void add(String displayName, String value) {
        throw new UnsupportedOperationException("declaration only");
    }

    public ListBoxModel add(String nameAndValue) {
        throw new UnsupportedOperationException("declaration only");
    }

    public static final class Option {
        private Option() {}
    }
}
