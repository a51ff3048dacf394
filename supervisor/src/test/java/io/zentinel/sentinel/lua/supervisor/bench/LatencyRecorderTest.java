package io.zentinel.sentinel.lua.supervisor.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The load generator's latency histogram: bucket precision, percentiles, edge cases. */
class LatencyRecorderTest {
    @Test
    void everyValueFallsInABucketWhoseMiddleIsWithinAQuarterPercent() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            long value = random.nextLong(1L << random.nextInt(1, 62));
            long middle = LatencyRecorder.middle(LatencyRecorder.index(value));
            assertTrue(Math.abs(middle - value) <= value / 256 + 1, value + " -> " + middle);
        }
        LatencyRecorder largest = new LatencyRecorder();
        largest.record(Long.MAX_VALUE); // the highest bucket exists
        assertEquals(Long.MAX_VALUE, largest.percentiles()[4]);
    }

    @Test
    void valuesBelow128AreExact() {
        for (long v = 0; v < 128; v++) {
            assertEquals(v, LatencyRecorder.middle(LatencyRecorder.index(v)));
        }
    }

    @Test
    void percentilesOfAUniformRunAreWithinTheBucketPrecisionAndTheMaxIsExact() {
        LatencyRecorder recorder = new LatencyRecorder();
        for (long v = 100_000; v >= 1; v--) {
            recorder.record(v * 1_000);
        }
        long[] p = recorder.percentiles();
        long[] expected = {50_000_000, 90_000_000, 99_000_000, 99_900_000};
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(p[i] - expected[i]) <= expected[i] / 256 + 1_000, i + ": " + p[i]);
        }
        assertEquals(100_000_000, p[4]);
        assertEquals(100_000, recorder.count());
    }

    @Test
    void aRecorderWithoutLatenciesReportsZeros() {
        assertArrayEquals(new long[5], new LatencyRecorder().percentiles());
        assertEquals(0, new LatencyRecorder().count());
    }

    @Test
    void aSingleLatencyIsEveryPercentile() {
        LatencyRecorder recorder = new LatencyRecorder();
        recorder.record(123_456);
        for (long p : recorder.percentiles()) {
            assertEquals(123_456, p, 123_456 / 256 + 1);
            assertTrue(p <= 123_456, "never above the largest recorded");
        }
    }
}
