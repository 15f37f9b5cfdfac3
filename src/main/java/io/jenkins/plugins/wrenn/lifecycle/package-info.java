/**
 * The capsule lifecycle of a build: create a capsule or take an existing one, wait until it runs,
 * and destroy, pause or keep it when the build is done with it. Free of Jenkins classes.
 */
package io.jenkins.plugins.wrenn.lifecycle;
