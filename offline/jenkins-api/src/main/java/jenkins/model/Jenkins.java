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
    public static native Jenkins get();

    @CheckForNull
    public static native Jenkins getInstanceOrNull();

    public native File getRootDir();

    public static native @NonNull org.springframework.security.core.Authentication getAuthentication2();

    public native String getLegacyInstanceId();

    public native @CheckForNull <T extends Item> T getItemByFullName(@NonNull String fullName, Class<T> type);

    public native @CheckForNull Item getItemByFullName(String fullName);
}
