package hudson.model;

import edu.umd.cs.findbugs.annotations.NonNull;
import edu.umd.cs.findbugs.annotations.Nullable;
import net.sf.json.JSONObject;
import org.kohsuke.stapler.StaplerRequest2;

public abstract class Descriptor<T extends Describable<T>> {
    protected Descriptor() {}

    @NonNull
    public String getDisplayName() {
        throw new UnsupportedOperationException("declaration only");
    }

    public T newInstance(@Nullable StaplerRequest2 req, @NonNull JSONObject formData) throws FormException {
        throw new UnsupportedOperationException("declaration only");
    }

    public synchronized void load() {
        throw new UnsupportedOperationException("declaration only");
    }

    public synchronized void save() {
        throw new UnsupportedOperationException("declaration only");
    }

    public boolean configure(StaplerRequest2 req, JSONObject json) throws FormException {
        throw new UnsupportedOperationException("declaration only");
    }

    public static final class FormException extends Exception {
        private static final long serialVersionUID = 1L;

        public FormException(String message, String formField) {
            super(message);
        }
    }
}
