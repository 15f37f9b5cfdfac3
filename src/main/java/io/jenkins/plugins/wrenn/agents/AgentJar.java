package io.jenkins.plugins.wrenn.agents;

import java.io.IOException;
import java.io.InputStream;

/** The controller's own agent.jar, opened afresh for each capsule it is put into. */
@FunctionalInterface
public interface AgentJar {

    /** Opens the jar's bytes; the caller closes the stream. */
    InputStream open() throws IOException;
}
