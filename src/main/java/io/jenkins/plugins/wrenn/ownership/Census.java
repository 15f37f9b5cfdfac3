package io.jenkins.plugins.wrenn.ownership;

import io.jenkins.plugins.wrenn.api.Capsule;
import io.jenkins.plugins.wrenn.api.WrennApiException;
import io.jenkins.plugins.wrenn.api.WrennClient;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The capsules this Jenkins owns, as its records and the servers know them: one listing per API
 * and key, each capsule matched to its record by id or by the record id in its labels; a capsule
 * with neither a record nor this Jenkins' labels is never counted. Holds a client per group until
 * closed, for the actions taken on what it found.
 */
public final class Census implements AutoCloseable {

    /** Opens a client for a group's API with its key. */
    @FunctionalInterface
    public interface Clients {
        /** @throws IOException saying why there is none, e.g. the credentials are gone */
        WrennClient open(Group group) throws IOException;
    }

    /**
     * A capsule this Jenkins owns.
     *
     * @param capsuleId its id, or null for a create whose answer never came
     * @param record the controller's record of it, or null when only its labels say it is ours
     * @param capsule the server's view of it, or null when the server's listing does not show it
     */
    public record Owned(Group group, String capsuleId, OwnedCapsule record, Capsule capsule, String job, int build) {

        /** Its status: the server's, or what the record says when the server does not list it. */
        public String status() {
            if (capsule != null) {
                return capsule.status();
            }
            if (record == null || record.capsuleId() == null) {
                return "creating";
            }
            return record.state() == OwnedCapsule.State.DESTROYING ? "stopping" : "not listed";
        }

        /** When it was created, or null when unknown. */
        public Instant createdAt() {
            if (record != null) {
                return record.createdAt();
            }
            try {
                return capsule == null || capsule.createdAt() == null ? null : Instant.parse(capsule.createdAt());
            } catch (DateTimeParseException e) {
                return null;
            }
        }

        /** Until when it is kept, or null. */
        public Instant keptUntil() {
            return record == null ? null : record.keptUntil();
        }
    }

    private final List<Owned> owned = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final Map<Group, WrennClient> clients = new LinkedHashMap<>();

    private Census() {}

    /**
     * Lists every group that a record names, and those given, and matches what is there.
     *
     * @param extraGroups groups to list even with no record (capsules known only by their labels)
     */
    public static Census take(CapsuleLedger ledger, String instanceId, Clients clients, Collection<Group> extraGroups)
            throws InterruptedException {
        Census census = new Census();
        List<OwnedCapsule> records = ledger.all();
        Set<Group> groups = new LinkedHashSet<>();
        records.forEach(r -> groups.add(r.group()));
        groups.addAll(extraGroups);
        for (Group g : groups) {
            census.count(g, ledger, records, instanceId, clients);
        }
        return census;
    }

    private void count(Group group, CapsuleLedger ledger, List<OwnedCapsule> records, String instanceId, Clients open)
            throws InterruptedException {
        List<OwnedCapsule> mine =
                records.stream().filter(r -> r.group().equals(group)).toList();
        List<Capsule> listed;
        try {
            WrennClient client = open.open(group);
            clients.put(group, client);
            listed = client.capsules().list();
        } catch (IOException e) {
            problems.add(
                    Messages.Census_CannotList(group.apiUrl(), String.valueOf(group.credentialsId()), e.getMessage()));
            // Still shown from the records: nothing is known of them now.
            mine.forEach(r -> owned.add(new Owned(group, r.capsuleId(), r, null, r.job(), r.build())));
            return;
        }
        Set<String> matched = new HashSet<>();
        for (Capsule c : listed) {
            OwnedCapsule record = ledger.byCapsule(c.id()).orElse(null);
            boolean labelled = OwnerTag.mine(c.metadata(), instanceId);
            if (record == null && labelled) {
                record = ledger.byRecord(c.metadata().get(OwnerTag.RECORD)).orElse(null);
                if (record != null && record.capsuleId() == null) {
                    // The create's answer never came (a crash meanwhile): the label names the capsule.
                    String id = c.id();
                    ledger.update(record.recordId(), r -> r.withCapsule(id));
                    record = record.withCapsule(id);
                }
            }
            if (record == null && !labelled) {
                continue;
            }
            if (record != null) {
                matched.add(record.recordId());
                owned.add(new Owned(group, c.id(), record, c, record.job(), record.build()));
            } else {
                owned.add(new Owned(group, c.id(), null, c, c.metadata().get(OwnerTag.JOB), buildOf(c)));
            }
        }
        for (OwnedCapsule r : mine) {
            if (!matched.contains(r.recordId())) {
                owned.add(new Owned(group, r.capsuleId(), r, null, r.job(), r.build()));
            }
        }
    }

    private static int buildOf(Capsule c) {
        try {
            return Integer.parseInt(c.metadata().getOrDefault(OwnerTag.BUILD, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The capsules this Jenkins owns, those the servers list first. */
    public List<Owned> owned() {
        return List.copyOf(owned);
    }

    /** Why a group could not be listed, one sentence each. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** The client that listed this group, or null when it could not be opened. */
    WrennClient client(Group group) {
        return clients.get(group);
    }

    /**
     * Reads a capsule the listing did not show: null when it is gone (404, or stopped or broken,
     * which listings leave out).
     */
    static Capsule lookUp(WrennClient client, String capsuleId) throws WrennApiException, InterruptedException {
        try {
            Capsule c = client.capsules().get(capsuleId);
            return c.isTerminal() ? null : c;
        } catch (WrennApiException e) {
            if (e.kind() == WrennApiException.Kind.NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public void close() {
        clients.values().forEach(WrennClient::close);
    }
}
