package hudson.slaves;

@SuppressWarnings("rawtypes")
public class CloudRetentionStrategy extends RetentionStrategy<AbstractCloudComputer> {
    public CloudRetentionStrategy(int idleMinutes) {
        throw new UnsupportedOperationException("declaration only");
    }
}
