package jenkins.tasks;

import hudson.EnvVars;
import hudson.FilePath;
import hudson.Launcher;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.tasks.BuildWrapper;
import java.io.IOException;
import java.io.Serializable;

public abstract class SimpleBuildWrapper extends BuildWrapper {
    public void setUp(
            Context context,
            Run<?, ?> build,
            FilePath workspace,
            Launcher launcher,
            TaskListener listener,
            EnvVars initialEnvironment)
            throws IOException, InterruptedException {
        throw new UnsupportedOperationException("declaration only");
    }

    public void setUp(Context context, Run<?, ?> build, TaskListener listener, EnvVars initialEnvironment)
            throws IOException, InterruptedException {
        throw new UnsupportedOperationException("declaration only");
    }

    public boolean requiresWorkspace() {
        throw new UnsupportedOperationException("declaration only");
    }

    public static final class Context {
        public void env(String key, String value) {
            throw new UnsupportedOperationException("declaration only");
        }

        public void setDisposer(Disposer disposer) {
            throw new UnsupportedOperationException("declaration only");
        }
    }

    public abstract static class Disposer implements Serializable {
        private static final long serialVersionUID = 1L;

        public void tearDown(Run<?, ?> build, FilePath workspace, Launcher launcher, TaskListener listener)
                throws IOException, InterruptedException {
            throw new UnsupportedOperationException("declaration only");
        }

        public void tearDown(Run<?, ?> build, TaskListener listener) throws IOException, InterruptedException {
            throw new UnsupportedOperationException("declaration only");
        }
    }
}
