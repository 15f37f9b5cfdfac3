package hudson.model;

import java.io.Serializable;

public abstract class LoadStatistics {
    private LoadStatistics() {}

    public static class LoadStatisticsSnapshot implements Serializable {
        private static final long serialVersionUID = 1L;

        private LoadStatisticsSnapshot() {}

        public native int getAvailableExecutors();

        public native int getConnectingExecutors();

        public native int getQueueLength();
    }
}
