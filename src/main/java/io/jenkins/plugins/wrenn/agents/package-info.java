/**
 * A capsule as a Jenkins agent, free of Jenkins classes: the launch sequence inside a running
 * capsule (a JVM check, the controller's agent.jar put in through the files API, the agent's
 * secret in a file only its user can read, the inbound agent started in the background, the wait
 * until it is connected) and what a failed launch says.
 */
package io.jenkins.plugins.wrenn.agents;
