package jenkins.model;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.model.Item;
import hudson.security.AccessControlled;
import hudson.security.Permission;
import java.io.File;

public class Jenkins implements AccessControlled {
    public static final Permission ADMINISTER = null;

    protected Jenkins() {}

    @NonNull
    public static Jenkins get() {
        throw new UnsupportedOperationException("declaration only");
    }

    @CheckForNull
    public static Jenkins getInstanceOrNull() {
        throw new UnsupportedOperationException("declaration only");
    }

    public File getRootDir() {
        throw new UnsupportedOperationException("declaration only");
    }

    public static org.springframework.security.core.Authentication getAuthentication2() {
        throw new UnsupportedOperationException("declaration only");
    }

    public String getLegacyInstanceId() {
        throw new UnsupportedOperationException("declaration only");
    }

    public @CheckForNull <T extends Item> T getItemByFullName(@NonNull String fullName, Class<T> type) {
        throw new UnsupportedOperationException("declaration only");
    }

    public @CheckForNull Item getItemByFullName(String fullName) {
        throw new UnsupportedOperationException("declaration only");
    }
}
