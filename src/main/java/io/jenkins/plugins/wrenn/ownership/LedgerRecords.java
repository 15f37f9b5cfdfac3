package io.jenkins.plugins.wrenn.ownership;

import io.jenkins.plugins.wrenn.lifecycle.CapsuleRecords;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** The lifecycle's reports about one capsule, kept in the ledger and as labels on the capsule. */
public final class LedgerRecords implements CapsuleRecords {

    private final CapsuleLedger ledger;
    private final OwnerTag tag;
    private final Group group;
    private final Duration retention;
    private final Clock clock;

    /**
     * @param tag whose the capsule is; its record id names the record
     * @param group the API and credentials the capsule is created with
     * @param retention how long a kept capsule is kept before a sweep destroys it
     */
    public LedgerRecords(CapsuleLedger ledger, OwnerTag tag, Group group, Duration retention, Clock clock) {
        this.ledger = ledger;
        this.tag = tag;
        this.group = group;
        this.retention = retention;
        this.clock = clock;
    }

    @Override
    public Map<String, String> labels() {
        return tag.labels();
    }

    @Override
    public void creating() throws IOException {
        ledger.add(new OwnedCapsule(
                tag.recordId(),
                null,
                group.apiUrl(),
                group.credentialsId(),
                tag.job(),
                tag.build(),
                clock.millis(),
                OwnedCapsule.State.CREATING,
                0));
    }

    @Override
    public void created(String capsuleId) {
        ledger.update(tag.recordId(), r -> r.withCapsule(capsuleId));
    }

    @Override
    public void notCreated() {
        ledger.remove(List.of(tag.recordId()));
    }

    @Override
    public Instant kept(String capsuleId) {
        Instant until = clock.instant().plus(retention).truncatedTo(ChronoUnit.SECONDS);
        ledger.update(tag.recordId(), r -> r.with(OwnedCapsule.State.KEPT, until.toEpochMilli()));
        return until;
    }

    @Override
    public void destroyRequested(String capsuleId) {
        ledger.update(tag.recordId(), r -> r.with(OwnedCapsule.State.DESTROYING, 0));
    }

    @Override
    public void gone(String capsuleId) {
        ledger.remove(List.of(tag.recordId()));
    }
}
