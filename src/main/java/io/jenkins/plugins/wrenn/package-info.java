/**
 * The Jenkins adapters that the packages grouped by what users see ({@code steps},
 * {@code freestyle}, {@code config}, {@code cloud}, {@code capsules}) share: the connection of a
 * build to the Wrenn API, the credentials lookup, form checks, the controller's record of the
 * capsules it owns, the durable engines and the stderr console note. Their members are public for
 * those packages only, marked {@code @Restricted(NoExternalUse.class)}.
 */
package io.jenkins.plugins.wrenn;
