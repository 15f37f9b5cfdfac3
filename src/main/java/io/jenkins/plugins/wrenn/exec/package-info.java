/**
 * Runs a command in a capsule the way a build step needs it: live output into a log, secrets
 * masked, a timeout, keep-alive pings, re-attach after a cut stream, and the remote process stopped
 * when the build is aborted. Nothing in this package knows about Jenkins.
 */
package io.jenkins.plugins.wrenn.exec;
