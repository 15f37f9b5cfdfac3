package hudson.model;

import edu.umd.cs.findbugs.annotations.NonNull;
import edu.umd.cs.findbugs.annotations.Nullable;
import net.sf.json.JSONObject;
import org.kohsuke.stapler.StaplerRequest2;

public abstract class Descriptor<T extends Describable<T>> {
    protected Descriptor() {}

    @NonNull
    public native String getDisplayName();

    public native T newInstance(@Nullable StaplerRequest2 req, @NonNull JSONObject formData) throws FormException;

    public synchronized native void load();

    public synchronized native void save();

    public native boolean configure(StaplerRequest2 req, JSONObject json) throws FormException;

    @SuppressWarnings("rawtypes")
    protected native void addHelpFileRedirect(
            String fieldName, Class<? extends Describable> owner, String fieldNameToRedirectTo);

    public static final class FormException extends Exception {
        private static final long serialVersionUID = 1L;

        public FormException(String message, String formField) {
            super(message);
        }
    }
}
