/**
 * Runs a command in a capsule the way a build step needs it: live output into a log, secrets
 * masked, a timeout, keep-alive pings, output and exit status kept in the capsule so that a run
 * continues after a cut stream or a controller restart, and the remote process stopped when the
 * build is aborted. Nothing in this package knows about Jenkins.
 */
package io.jenkins.plugins.wrenn.exec;
