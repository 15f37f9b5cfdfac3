package io.jenkins.plugins.wrenn.ownership;

/**
 * The capsules one API key sees on one server: the unit the server lists.
 *
 * @param apiUrl the API's base URL
 * @param credentialsId the Jenkins credentials that hold the key
 */
public record Group(String apiUrl, String credentialsId) {}
