/**
 * Moves files between a build's workspace and a capsule: many files packed into one tar archive,
 * sent as one stream and unpacked by one command in the capsule, and the reverse; names coming
 * back are checked so that nothing lands outside the target directory. Nothing in this package
 * knows about Jenkins.
 */
package io.jenkins.plugins.wrenn.files;
