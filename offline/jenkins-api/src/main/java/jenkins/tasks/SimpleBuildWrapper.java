package jenkins.tasks;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.EnvVars;
import hudson.FilePath;
import hudson.Launcher;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.tasks.BuildWrapper;
import java.io.IOException;
import java.io.Serializable;

public abstract class SimpleBuildWrapper extends BuildWrapper {
    public native void setUp(
            Context context,
            Run<?, ?> build,
            FilePath workspace,
            Launcher launcher,
            TaskListener listener,
            EnvVars initialEnvironment)
            throws IOException, InterruptedException;

    public native void setUp(Context context, Run<?, ?> build, TaskListener listener, EnvVars initialEnvironment)
            throws IOException, InterruptedException;

    public native boolean requiresWorkspace();

    public static final class Context {
        public native void env(String key, String value);

        public native void setDisposer(@NonNull Disposer disposer);
    }

    public abstract static class Disposer implements Serializable {
        private static final long serialVersionUID = 1L;

        public native void tearDown(Run<?, ?> build, FilePath workspace, Launcher launcher, TaskListener listener)
                throws IOException, InterruptedException;

        public native void tearDown(Run<?, ?> build, TaskListener listener) throws IOException, InterruptedException;
    }
}
