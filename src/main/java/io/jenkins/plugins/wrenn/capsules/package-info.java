/**
 * What users see of the capsules builds held: the build's Wrenn capsules summary, the job's usage
 * trend, the Manage Jenkins &gt; Wrenn capsules page, and the periodic sweep that gives back
 * capsules whose build is over. Thin Jenkins adapters over {@code ownership} and {@code usage}.
 */
package io.jenkins.plugins.wrenn.capsules;
