package io.jenkins.plugins.wrenn.ownership;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The records of the capsules this Jenkins owns, in one JSON file on the controller. Every change
 * is written at once (to a new file that then replaces the old one), so that a crash right after a
 * change still finds it. Thread-safe.
 */
public final class CapsuleLedger {

    private static final Logger LOGGER = Logger.getLogger(CapsuleLedger.class.getName());

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path file;
    private final Map<String, OwnedCapsule> records = new LinkedHashMap<>();

    /** Reads the records of this file; a file that cannot be read is kept aside and a new one begun. */
    public CapsuleLedger(Path file) {
        this.file = file;
        if (Files.exists(file)) {
            try {
                List<OwnedCapsule> read = JSON.readValue(file.toFile(), new TypeReference<List<OwnedCapsule>>() {});
                for (OwnedCapsule r : read) {
                    records.put(r.recordId(), r);
                }
            } catch (IOException e) {
                Path aside = file.resolveSibling(file.getFileName() + ".unreadable");
                LOGGER.log(Level.WARNING, "Cannot read the capsule records in " + file + "; keeping it as " + aside, e);
                try {
                    Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException moved) {
                    LOGGER.log(Level.WARNING, "Cannot keep " + file + " aside", moved);
                }
            }
        }
    }

    /**
     * Adds a record, or leaves one of the same id as it is.
     *
     * @throws IOException when it cannot be written
     */
    public synchronized void add(OwnedCapsule record) throws IOException {
        if (records.containsKey(record.recordId())) {
            return;
        }
        records.put(record.recordId(), record);
        try {
            write();
        } catch (IOException e) {
            records.remove(record.recordId());
            throw e;
        }
    }

    /** Changes a record, if there is one; a failed write is logged (the change still holds until Jenkins stops). */
    public synchronized void update(String recordId, UnaryOperator<OwnedCapsule> change) {
        OwnedCapsule r = records.get(recordId);
        if (r != null) {
            records.put(recordId, change.apply(r));
            writeOrLog();
        }
    }

    /**
     * Keeps a kept capsule until a later time.
     *
     * @return false when no record keeps that capsule any more (a sweep destroyed it)
     */
    public synchronized boolean keepUntil(String capsuleId, Instant until) {
        OwnedCapsule r = byCapsule(capsuleId).orElse(null);
        if (r == null || r.state() != OwnedCapsule.State.KEPT) {
            return false;
        }
        records.put(r.recordId(), r.with(OwnedCapsule.State.KEPT, until.toEpochMilli()));
        writeOrLog();
        return true;
    }

    /** Changes these records in one write, those that exist. */
    public synchronized void updateAll(Collection<String> recordIds, UnaryOperator<OwnedCapsule> change) {
        boolean changed = false;
        for (String id : recordIds) {
            OwnedCapsule r = records.get(id);
            if (r != null) {
                records.put(id, change.apply(r));
                changed = true;
            }
        }
        if (changed) {
            writeOrLog();
        }
    }

    /** Removes these records. */
    public synchronized void remove(Collection<String> recordIds) {
        boolean changed = false;
        for (String id : recordIds) {
            changed |= records.remove(id) != null;
        }
        if (changed) {
            writeOrLog();
        }
    }

    public synchronized List<OwnedCapsule> all() {
        return List.copyOf(records.values());
    }

    public synchronized Optional<OwnedCapsule> byRecord(String recordId) {
        return Optional.ofNullable(recordId == null ? null : records.get(recordId));
    }

    public synchronized Optional<OwnedCapsule> byCapsule(String capsuleId) {
        return records.values().stream()
                .filter(r -> capsuleId.equals(r.capsuleId()))
                .findFirst();
    }

    private void writeOrLog() {
        try {
            write();
        } catch (IOException e) {
            LOGGER.log(Level.WARNING, "Cannot write the capsule records to " + file, e);
        }
    }

    private void write() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), new ArrayList<>(records.values()));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
