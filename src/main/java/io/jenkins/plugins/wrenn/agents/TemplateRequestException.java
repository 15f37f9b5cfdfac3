package io.jenkins.plugins.wrenn.agents;

/**
 * A Jenkinsfile asked for agents that its agent templates cannot give: no such template, a value
 * that cannot be, or a change the template does not allow. The message is for the Jenkinsfile's
 * author: what to change, naming the field and the template.
 */
public final class TemplateRequestException extends Exception {

    private static final long serialVersionUID = 1L;

    public TemplateRequestException(String message) {
        super(message);
    }
}
