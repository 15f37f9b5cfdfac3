/**
 * What Manage Jenkins &gt; System shows of the plugin: the Wrenn section (API URL, default
 * credentials, connect timeout) and the Wrenn capsules section (how many capsules at once, how
 * long a kept capsule is kept). Configuration as Code reads both by their symbols.
 */
package io.jenkins.plugins.wrenn.config;
