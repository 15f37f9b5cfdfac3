/**
 * The Pipeline steps: {@code wrennExec}, {@code wrennKill}, {@code wrennCapsule}, {@code wrennPut}
 * and {@code wrennGet}, their forms, the context a {@code wrennCapsule} block gives the steps inside
 * it, and the record and build-end cleanup of background processes. Thin Jenkins adapters over
 * {@code exec}, {@code lifecycle} and {@code files}.
 */
package io.jenkins.plugins.wrenn.steps;
