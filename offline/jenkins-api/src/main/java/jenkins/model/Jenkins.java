package jenkins.model;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import edu.umd.cs.findbugs.annotations.Nullable;
import hudson.model.Item;
import hudson.model.Node;
import hudson.model.Slave;
import hudson.security.AccessControlled;
import hudson.security.Permission;
import hudson.slaves.Cloud;
import hudson.slaves.NodeProvisioner;
import java.io.File;
import java.util.Iterator;
import java.util.List;

public class Jenkins implements AccessControlled {
    public static final Permission ADMINISTER = null;

    public final CloudList clouds = null;

    public final transient NodeProvisioner unlabeledNodeProvisioner = null;

    protected Jenkins() {}

    public static class CloudList implements Iterable<Cloud> {
        private CloudList() {}

        @Override
        public native Iterator<Cloud> iterator();
    }

    public native @Nullable String getRootUrl();

    public native Cloud getCloud(String name);

    public native List<Node> getNodes();

    public native @CheckForNull Node getNode(String name);

    public native Slave.JnlpJar getJnlpJars(String fileName);

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
