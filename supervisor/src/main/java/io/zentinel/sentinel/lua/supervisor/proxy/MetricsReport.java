package io.zentinel.sentinel.lua.supervisor.proxy;

import java.util.List;
import java.util.Map;

/**
 * A MetricsReport frame (agent protocol v2, §9, type 0x31): series the proxy adds to its own
 * metrics export. Floating values must be finite, because JSON has no NaN or infinity; the only
 * infinity allowed is the last histogram bucket's bound, which is encoded as {@code "+Inf"}.
 */
public record MetricsReport(String agentId, long timestampMs, long intervalMs, List<Counter> counters,
                           List<Gauge> gauges, List<Histogram> histograms) {

    public MetricsReport {
        if (agentId == null) {
            throw new IllegalArgumentException("agentId must not be null");
        }
        counters = List.copyOf(counters);
        gauges = List.copyOf(gauges);
        histograms = List.copyOf(histograms);
    }

    /** A monotonic counter; {@code value} is an unsigned 64-bit number on the wire, so it must be >= 0. */
    public record Counter(String name, String help, Map<String, String> labels, long value) {
        public Counter {
            requireName(name);
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            if (value < 0) {
                throw new IllegalArgumentException("counter " + name + " must be >= 0 (was " + value + ")");
            }
        }
    }

    /** A gauge with a floating value. */
    public record Gauge(String name, String help, Map<String, String> labels, double value) {
        public Gauge {
            requireName(name);
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            requireFinite(value, "gauge " + name);
        }
    }

    /** A histogram; buckets are cumulative, the last one normally has {@code le = +infinity}. */
    public record Histogram(String name, Map<String, String> labels, double sum, long count, List<Bucket> buckets) {
        public Histogram {
            requireName(name);
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            requireFinite(sum, "histogram " + name + " sum");
            if (count < 0) {
                throw new IllegalArgumentException("histogram " + name + " count must be >= 0 (was " + count + ")");
            }
            buckets = List.copyOf(buckets);
        }
    }

    /** One cumulative bucket: {@code count} observations were {@code <= le}. */
    public record Bucket(double le, long count) {
        public Bucket {
            if (Double.isNaN(le) || le == Double.NEGATIVE_INFINITY) {
                throw new IllegalArgumentException("bucket bound must be a number or +infinity (was " + le + ")");
            }
            if (count < 0) {
                throw new IllegalArgumentException("bucket count must be >= 0 (was " + count + ")");
            }
        }
    }

    private static void requireName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("metric name must not be empty");
        }
    }

    private static void requireFinite(double value, String what) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(what + " must be finite (was " + value + ")");
        }
    }
}
