package jenkins.model;

import hudson.model.Item;
import hudson.security.AccessControlled;
import hudson.security.Permission;
import java.io.File;

public class Jenkins implements AccessControlled {
    public static final Permission ADMINISTER = null;

    protected Jenkins() {}

    public static Jenkins get() {
        throw new UnsupportedOperationException("declaration only");
    }

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

    public <T extends Item> T getItemByFullName(String fullName, Class<T> type) {
        throw new UnsupportedOperationException("declaration only");
    }

    public Item getItemByFullName(String fullName) {
        throw new UnsupportedOperationException("declaration only");
    }
}
