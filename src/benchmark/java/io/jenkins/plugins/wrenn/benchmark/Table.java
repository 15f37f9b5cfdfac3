package io.jenkins.plugins.wrenn.benchmark;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark's figures: each row is printed as soon as it is measured, then all of them as one
 * Markdown table that says, for each target, whether this run met it. Rows shown only to help read
 * the others have no target.
 */
final class Table {

    private record Row(String what, String measured, String reference, String ratio, String target, Boolean met) {}

    private final List<Row> rows = new ArrayList<>();
    private final PrintStream out;

    Table(PrintStream out) {
        this.out = out;
    }

    /** A figure with a target, and whether this run met it. */
    void target(String what, String measured, String reference, String ratio, String target, boolean met) {
        add(new Row(what, measured, reference, ratio, target, met));
    }

    /** A figure without a target, shown to help read the others. */
    void information(String what, String measured, String reference, String ratio) {
        add(new Row(what, measured, reference, ratio, "", null));
    }

    private void add(Row row) {
        rows.add(row);
        StringBuilder line =
                new StringBuilder("  ").append(row.what()).append(": ").append(row.measured());
        for (String part : List.of(row.reference(), row.ratio())) {
            if (!part.isEmpty()) {
                line.append(" | ").append(part);
            }
        }
        if (row.met() != null) {
            line.append(" (target ")
                    .append(row.target())
                    .append(": ")
                    .append(verdict(row))
                    .append(')');
        }
        out.println(line);
    }

    private static String verdict(Row row) {
        if (row.met() == null) {
            return "";
        }
        return row.met() ? "met" : "missed";
    }

    /** The rows whose target this run missed. */
    List<String> missed() {
        return rows.stream()
                .filter(r -> Boolean.FALSE.equals(r.met()))
                .map(Row::what)
                .toList();
    }

    void print() {
        out.println();
        out.println("| what | engine: median [p25..p75] | reference: median [p25..p75] | ratio | target | met? |");
        out.println("| --- | --- | --- | --- | --- | --- |");
        for (Row r : rows) {
            out.println(
                    "| " + String.join(" | ", r.what(), r.measured(), r.reference(), r.ratio(), r.target(), verdict(r))
                            + " |");
        }
        long withTarget = rows.stream().filter(r -> r.met() != null).count();
        List<String> missed = missed();
        out.println();
        out.println("Targets met: " + (withTarget - missed.size()) + " of " + withTarget
                + (missed.isEmpty() ? "." : "; missed: " + String.join("; ", missed) + "."));
    }

    /**
     * A size as asked for, in MiB, with one decimal when it is not a whole number of MiB: never
     * rounded down to a figure that was not measured.
     */
    static String mib(long bytes) {
        return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : String.format("%.1f MiB", bytes / (double) (1 << 20));
    }
}
