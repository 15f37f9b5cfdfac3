package hudson.slaves;

public abstract class OfflineCause {
    public static class ChannelTermination extends OfflineCause {
        public ChannelTermination(Exception cause) {
            throw new UnsupportedOperationException("declaration only");
        }
    }
}
