/**
 * The Wrenn cloud: its agent templates, the agents it provisions in fresh capsules and their
 * launch and watch, and the templates a Jenkinsfile defines ({@code wrennAgent}, and
 * {@code agent { wrenn { ... } }} in Declarative Pipeline). Thin Jenkins adapters over
 * {@code agents}.
 */
package io.jenkins.plugins.wrenn.cloud;
