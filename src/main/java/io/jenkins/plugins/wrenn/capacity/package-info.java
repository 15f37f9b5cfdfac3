/**
 * How many capsules this Jenkins holds at once: a queue of builds waiting for a slot, in the order
 * they asked, that holds no thread while they wait. Free of Jenkins classes.
 */
package io.jenkins.plugins.wrenn.capacity;
