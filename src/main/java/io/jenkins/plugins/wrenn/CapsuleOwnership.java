package io.jenkins.plugins.wrenn;

import hudson.ProxyConfiguration;
import hudson.model.Item;
import hudson.model.Job;
import hudson.model.Run;
import io.jenkins.plugins.wrenn.api.WrennClient;
import io.jenkins.plugins.wrenn.capacity.CapsuleSlots;
import io.jenkins.plugins.wrenn.cloud.WrennAgent;
import io.jenkins.plugins.wrenn.config.WrennCapsulesConfiguration;
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration;
import io.jenkins.plugins.wrenn.ownership.CapsuleLedger;
import io.jenkins.plugins.wrenn.ownership.CapsuleSweeper;
import io.jenkins.plugins.wrenn.ownership.Census;
import io.jenkins.plugins.wrenn.ownership.Group;
import io.jenkins.plugins.wrenn.ownership.LedgerRecords;
import io.jenkins.plugins.wrenn.ownership.OwnerTag;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import jenkins.model.Jenkins;
import org.kohsuke.accmod.Restricted;
import org.kohsuke.accmod.restrictions.NoExternalUse;

/**
 * The Jenkins side of capsule ownership: this Jenkins' id, the ledger file in {@code JENKINS_HOME},
 * the slots of Maximum capsules at once, builds and credentials looked up for the sweep.
 */
@Restricted(NoExternalUse.class)
public final class CapsuleOwnership {

    /** The records of owned capsules, beside the plugin's other files in JENKINS_HOME. */
    static final String LEDGER_FILE = "io.jenkins.plugins.wrenn.OwnedCapsules.json";

    private static final Map<Path, CapsuleLedger> LEDGERS = new ConcurrentHashMap<>();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Slots for the whole controller; the limit follows the global setting. */
    public static final CapsuleSlots SLOTS = new CapsuleSlots(0);

    private CapsuleOwnership() {}

    /**
     * A stable id of this Jenkins: the digest of its secret key, kept in JENKINS_HOME, so that it
     * survives restarts and URL changes (a copy of JENKINS_HOME shares it: see the docs).
     */
    static String instanceId() {
        return Jenkins.get().getLegacyInstanceId();
    }

    /** The ledger of this Jenkins' home. */
    public static CapsuleLedger ledger() {
        Path file = Jenkins.get().getRootDir().toPath().resolve(LEDGER_FILE);
        return LEDGERS.computeIfAbsent(file, CapsuleLedger::new);
    }

    /** A fresh id for the record of a capsule about to be created. */
    public static String newRecordId() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return "r-" + HexFormat.of().formatHex(b);
    }

    /** What the lifecycle reports about a build's capsule, kept in the ledger and as the capsule's labels. */
    public static LedgerRecords records(Run<?, ?> run, String credentialsId, String recordId) {
        OwnerTag tag = new OwnerTag(instanceId(), run.getParent().getFullName(), run.getNumber(), recordId);
        return new LedgerRecords(
                ledger(),
                tag,
                new Group(WrennGlobalConfiguration.get().getApiUrl(), credentialsId),
                WrennCapsulesConfiguration.get().keptRetention(),
                Clock.systemUTC());
    }

    /**
     * The records of an agent's capsule: its job label names the agent ({@code agent:<node>}) and
     * its build number is 0, because the capsule belongs to the agent, whichever build it takes;
     * the sweep gives it back once the agent is gone.
     */
    public static LedgerRecords agentRecords(String nodeName, Group group, String recordId) {
        OwnerTag tag = new OwnerTag(instanceId(), WrennAgent.AGENT_JOB_PREFIX + nodeName, 0, recordId);
        return new LedgerRecords(
                ledger(), tag, group, WrennCapsulesConfiguration.get().keptRetention(), Clock.systemUTC());
    }

    /** A sweeper over this Jenkins' ledger and builds. */
    public static CapsuleSweeper sweeper() {
        return new CapsuleSweeper(
                ledger(), instanceId(), CapsuleOwnership::open, CapsuleOwnership::buildState, Clock.systemUTC());
    }

    /**
     * The key the global default credentials reach, listed beside those of the records: a capsule
     * known only by its labels (its record lost) is found there.
     */
    public static List<Group> defaultGroups() {
        WrennGlobalConfiguration config = WrennGlobalConfiguration.get();
        String id = config.getDefaultCredentialsId();
        return id == null ? List.of() : List.of(new Group(config.getApiUrl(), id));
    }

    /**
     * Whether a build still runs; a job or build that is gone is over. An agent's capsule is in
     * use while its agent exists.
     */
    static CapsuleSweeper.BuildState buildState(String job, int number) {
        if (job != null && job.startsWith(WrennAgent.AGENT_JOB_PREFIX)) {
            return Jenkins.get().getNode(job.substring(WrennAgent.AGENT_JOB_PREFIX.length())) instanceof WrennAgent
                    ? CapsuleSweeper.BuildState.RUNNING
                    : CapsuleSweeper.BuildState.OVER;
        }
        Job<?, ?> j = job == null ? null : Jenkins.get().getItemByFullName(job, Job.class);
        Run<?, ?> run = j == null ? null : j.getBuildByNumber(number);
        if (run == null) {
            return CapsuleSweeper.BuildState.GONE;
        }
        return run.isBuilding() ? CapsuleSweeper.BuildState.RUNNING : CapsuleSweeper.BuildState.OVER;
    }

    /** The build of a record, when it still exists. */
    public static Run<?, ?> build(String job, int number) {
        Job<?, ?> j = job == null ? null : Jenkins.get().getItemByFullName(job, Job.class);
        return j == null ? null : j.getBuildByNumber(number);
    }

    /**
     * A client for a group: its credentials looked up as the system, in the context of a job that
     * used them (folder credentials), else of Jenkins.
     */
    private static WrennClient open(Group group) throws IOException {
        Item context = ledger().all().stream()
                .filter(r -> r.group().equals(group))
                .map(r -> (Item) Jenkins.get().getItemByFullName(r.job(), Job.class))
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
        String key =
                group.credentialsId() == null ? null : WrennCredentials.apiKeyForTest(context, group.credentialsId());
        if (key == null) {
            throw new IOException(Messages.CapsuleOwnership_NoKey(String.valueOf(group.credentialsId())));
        }
        return WrennClient.builder(URI.create(group.apiUrl()), key)
                .httpClient(ProxyConfiguration.newHttpClientBuilder())
                .connectTimeout(
                        Duration.ofSeconds(WrennGlobalConfiguration.get().getConnectTimeoutSeconds()))
                .build();
    }

    /** A census of the capsules this Jenkins owns, for the Wrenn capsules page. */
    public static Census census() throws InterruptedException {
        return Census.take(ledger(), instanceId(), CapsuleOwnership::open, defaultGroups());
    }
}
