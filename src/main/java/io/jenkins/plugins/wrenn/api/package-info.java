/**
 * A client for the Wrenn capsule API: capsules, blocking and background exec, streaming exec and
 * attach over WebSocket, and processes. Built on {@code java.net.http} and Jackson only; nothing in
 * this package knows about Jenkins.
 */
package io.jenkins.plugins.wrenn.api;
