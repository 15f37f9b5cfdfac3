/**
 * Which capsules this Jenkins owns, and giving back those whose build is over: the labels a
 * capsule is created with, the record kept on the controller for servers that keep no labels, the
 * sweep, and the census the Wrenn capsules page shows. Free of Jenkins classes.
 */
package io.jenkins.plugins.wrenn.ownership;
