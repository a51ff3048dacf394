package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WatchClockTest {
    private final AtomicLong nanoTime = new AtomicLong(1_000_000_000L);
    private final WatchClock clock = new WatchClock(nanoTime::get);

    private static long millis(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void followsTheUnderlyingClockWhileTasksRunOnTime() {
        long start = clock.now();
        nanoTime.addAndGet(millis(10));

        assertEquals(0, clock.ranLate(nanoTime.get()), "a task on time");

        assertEquals(millis(10), clock.now() - start);
    }

    @Test
    void schedulingDelaysUpToTheStallThresholdCountAsWatchedTime() {
        long start = clock.now();
        long due = nanoTime.get() + millis(10);
        nanoTime.addAndGet(millis(10) + WatchClock.STALL.toNanos());

        assertEquals(0, clock.ranLate(due));

        assertEquals(millis(10) + WatchClock.STALL.toNanos(), clock.now() - start);
    }

    @Test
    void aTaskRunningLaterThanTheThresholdLeavesItsLatenessOutOfTheWatchedTime() {
        long start = clock.now();
        long due = nanoTime.get() + millis(10);
        nanoTime.addAndGet(millis(10) + millis(1000));

        assertEquals(millis(1000), clock.ranLate(due));

        assertEquals(millis(10), clock.now() - start, "the second the supervisor stood still is not counted");
        assertEquals(nanoTime.get(), clock.nanoTime(), "scheduling stays on the underlying clock");
    }

    @Test
    void stallsAddUp() {
        long start = clock.now();
        for (int i = 0; i < 3; i++) {
            long due = nanoTime.get() + millis(10);
            nanoTime.addAndGet(millis(10) + millis(200));
            clock.ranLate(due);
        }

        assertEquals(millis(30), clock.now() - start);
    }
}
