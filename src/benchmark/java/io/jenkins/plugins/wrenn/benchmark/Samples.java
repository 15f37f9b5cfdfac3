package io.jenkins.plugins.wrenn.benchmark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Measured values of one figure: the median and the spread between the 25th and 75th percentiles. */
final class Samples {

    private final List<Double> values = new ArrayList<>();

    void add(double value) {
        values.add(value);
    }

    int size() {
        return values.size();
    }

    double median() {
        return percentile(50);
    }

    double percentile(double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        double rank = p / 100 * (sorted.size() - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return sorted.get(lo) + (sorted.get(hi) - sorted.get(lo)) * (rank - lo);
    }

    /**
     * The ratios of paired values, this one's i-th over the other's i-th, e.g. {@code 1.18x
     * [1.15..1.21]}: median and interquartile range. Values measured in the same round share that
     * round's noise, which the ratio of each pair cancels.
     */
    String ratioTo(Samples other) {
        Samples ratios = ratiosTo(other);
        return String.format("%.2fx [%.2f..%.2f]", ratios.median(), ratios.percentile(25), ratios.percentile(75));
    }

    /** The median of the paired ratios {@link #ratioTo} shows, to compare with a target. */
    double medianRatioTo(Samples other) {
        return ratiosTo(other).median();
    }

    private Samples ratiosTo(Samples other) {
        if (other.values.size() != values.size()) {
            throw new IllegalArgumentException("unpaired samples: " + values.size() + " and " + other.values.size());
        }
        Samples ratios = new Samples();
        for (int i = 0; i < values.size(); i++) {
            ratios.add(values.get(i) / other.values.get(i));
        }
        return ratios;
    }

    /** e.g. {@code 1.23 [1.10..1.40]}: median and interquartile range. */
    String describe(String format) {
        return String.format(format, median()) + " [" + String.format(format, percentile(25)) + ".."
                + String.format(format, percentile(75)) + "]";
    }
}
