package hudson.model.queue;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.model.Queue;
import org.springframework.security.core.Authentication;

public class Tasks {
    public static native @NonNull Authentication getAuthenticationOf2(@NonNull Queue.Task t);
}
