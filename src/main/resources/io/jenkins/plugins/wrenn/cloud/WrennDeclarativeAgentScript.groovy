package io.jenkins.plugins.wrenn.cloud

import org.jenkinsci.plugins.pipeline.modeldefinition.agent.CheckoutScript
import org.jenkinsci.plugins.pipeline.modeldefinition.agent.DeclarativeAgentScript2
import org.jenkinsci.plugins.workflow.cps.CpsScript

/**
 * Runs the stages of agent { wrenn { ... } } as wrennAgent(...) { node(WRENN_AGENT_LABEL) { ... } }:
 * the step finds the agent template and applies the Jenkinsfile's settings, the node gets a fresh
 * capsule, and the default checkout runs in it (in customWorkspace, if given) as for any agent.
 * With retries above 1, an agent lost mid-build (its capsule gone, its connection closed) runs
 * the whole block again on another fresh capsule; a failure of the build's own steps does not.
 */
class WrennDeclarativeAgentScript extends DeclarativeAgentScript2<WrennDeclarativeAgent> {

    WrennDeclarativeAgentScript(CpsScript s, WrennDeclarativeAgent a) {
        super(s, a)
    }

    @Override
    void run(Closure body) {
        Closure onAFreshCapsule = {
            script.wrennAgent(describable.asArgs) {
                script.node(script.env.WRENN_AGENT_LABEL) {
                    CheckoutScript.doCheckout2(script, describable, describable.customWorkspace, body)
                }
            }
        }
        if (describable.retries > 1) {
            script.retry(count: describable.retries, conditions: [script.agent(), script.nonresumable()]) {
                onAFreshCapsule.call()
            }
        } else {
            onAFreshCapsule.call()
        }
    }
}
