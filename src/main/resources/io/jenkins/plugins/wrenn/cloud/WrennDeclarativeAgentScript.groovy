package io.jenkins.plugins.wrenn.cloud

import org.jenkinsci.plugins.pipeline.modeldefinition.agent.CheckoutScript
import org.jenkinsci.plugins.pipeline.modeldefinition.agent.DeclarativeAgentScript2
import org.jenkinsci.plugins.workflow.cps.CpsScript

/**
 * Runs the stages of agent { wrenn { ... } } as wrennAgent(...) { node(WRENN_AGENT_LABEL) { ... } }:
 * the step finds the agent template and applies the Jenkinsfile's settings, the node gets a fresh
 * capsule, and the default checkout runs in it as for any agent.
 */
class WrennDeclarativeAgentScript extends DeclarativeAgentScript2<WrennDeclarativeAgent> {

    WrennDeclarativeAgentScript(CpsScript s, WrennDeclarativeAgent a) {
        super(s, a)
    }

    @Override
    void run(Closure body) {
        script.wrennAgent(describable.asArgs) {
            script.node(script.env.WRENN_AGENT_LABEL) {
                CheckoutScript.doCheckout2(script, describable, null, body)
            }
        }
    }
}
