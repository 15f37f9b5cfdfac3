/**
 * Freestyle jobs: the build step that runs a command in a capsule, the build environment that gives
 * a build a capsule of its own, and the record of running commands a controller restart would
 * otherwise leave behind. Thin Jenkins adapters over {@code exec} and {@code lifecycle}.
 */
package io.jenkins.plugins.wrenn.freestyle;
