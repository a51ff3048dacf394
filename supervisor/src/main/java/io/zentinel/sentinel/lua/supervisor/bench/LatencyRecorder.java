package io.zentinel.sentinel.lua.supervisor.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/** Keeps every latency of the measured window (up to a bound) to report exact percentiles. */
final class LatencyRecorder {
    private final long[] nanos;
    private final AtomicInteger next = new AtomicInteger();

    LatencyRecorder(int capacity) {
        this.nanos = new long[capacity];
    }

    void record(long latencyNanos) {
        int i = next.getAndIncrement();
        if (i < nanos.length) {
            nanos[i] = latencyNanos;
        }
    }

    long count() {
        return next.get();
    }

    /** p50, p90, p99, p99.9 and max, in nanoseconds, over the recorded latencies. */
    long[] percentiles() {
        int n = Math.min(next.get(), nanos.length);
        if (n == 0) {
            return new long[5];
        }
        long[] sorted = Arrays.copyOf(nanos, n);
        Arrays.sort(sorted);
        return new long[] {at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), at(sorted, 0.999), sorted[n - 1]};
    }

    private static long at(long[] sorted, double quantile) {
        int index = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
