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

    /** e.g. {@code 1.23 [1.10..1.40]}: median and interquartile range. */
    String describe(String format) {
        return String.format(format, median()) + " [" + String.format(format, percentile(25)) + ".."
                + String.format(format, percentile(75)) + "]";
    }
}
