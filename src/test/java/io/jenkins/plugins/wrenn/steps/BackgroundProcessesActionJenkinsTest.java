package io.jenkins.plugins.wrenn.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import hudson.model.FreeStyleBuild;
import hudson.model.FreeStyleProject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/** The saved record of a build's background processes, as a restarted controller reads it. */
@WithJenkins
class BackgroundProcessesActionJenkinsTest {

    /** The record as a restarted controller reads it: everything loaded again from disk. */
    static BackgroundProcessesAction afterReload(JenkinsRule j, String job) throws Exception {
        j.jenkins.reload();
        FreeStyleProject p = j.jenkins.getItemByFullName(job, FreeStyleProject.class);
        return p.getBuildByNumber(1).getAction(BackgroundProcessesAction.class);
    }

    @Test
    void theRecordOfBackgroundProcessesIsSavedOnEveryChange(JenkinsRule j) throws Exception {
        FreeStyleProject p = j.createFreeStyleProject();
        FreeStyleBuild b = j.buildAndAssertSuccess(p);
        BackgroundProcessesAction.of(b).started("cl-abc", 42, "srv", "wrenn-key", false);

        BackgroundProcessesAction loaded = afterReload(j, p.getFullName());
        assertNotNull(loaded, "the record is on disk");
        assertEquals(
                List.of("srv"),
                loaded.leftOver().stream()
                        .map(BackgroundProcessesAction.Entry::getTag)
                        .toList());

        // The loaded record is tied to its build again, so a change is saved too.
        loaded.stopped("cl-abc", "srv");
        assertEquals(List.of(), afterReload(j, p.getFullName()).leftOver(), "the stop is on disk");
    }
}
