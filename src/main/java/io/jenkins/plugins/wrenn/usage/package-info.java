/**
 * What a build's capsules cost: the resources reserved for the time each was held, and the peaks
 * read from the server's metrics before the capsule is given back. Free of Jenkins classes.
 */
package io.jenkins.plugins.wrenn.usage;
