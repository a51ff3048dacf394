package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {
    private final AtomicLong now = new AtomicLong();
    private final RestartBackoff backoff = new RestartBackoff(WorkerPool.Tuning.DEFAULT, now::get);

    @Test
    void earlyDeathsDoubleTheDelayFrom100MillisecondsUpTo30Seconds() {
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            delays.add(backoff.onDeath(Duration.ofSeconds(1).toNanos(), "worker-" + i + " - internal error (exit 70)").toMillis());
        }

        assertEquals(List.of(100L, 200L, 400L, 800L, 1600L, 3200L, 6400L, 12800L, 25600L, 30000L, 30000L, 30000L),
                delays);
        assertEquals(new WorkerPool.CrashLoop(12, Duration.ofSeconds(30), "worker-11 - internal error (exit 70)"),
                backoff.status(), "the latest early death is kept for status");
    }

    @Test
    void aDeathAfterALongerLifeThanTheWindowEndsTheLoop() {
        backoff.onDeath(0, "worker-1 - exited with status 1");
        backoff.onDeath(0, "worker-1 - exited with status 1");

        Duration delay = backoff.onDeath(Duration.ofSeconds(10).toNanos(), "worker-3 - killed by SIGKILL (exit 137)");

        assertEquals(Duration.ZERO, delay);
        assertEquals(new WorkerPool.CrashLoop(0, Duration.ZERO, null), backoff.status());
        assertEquals(Duration.ofMillis(100), backoff.onDeath(0, "worker-1 - exited with status 1"), "the next loop starts from the beginning");
    }

    @Test
    void theLoopIsResetAfterAHealthyPeriodWithoutEarlyDeaths() {
        backoff.onDeath(0, "worker-1 - exited with status 1");
        backoff.onDeath(0, "worker-1 - exited with status 1");
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        assertFalse(backoff.resetIfHealthy());
        assertEquals(Duration.ofMillis(200), backoff.current());

        now.addAndGet(Duration.ofSeconds(1).toNanos());

        assertTrue(backoff.resetIfHealthy());
        assertEquals(new WorkerPool.CrashLoop(0, Duration.ZERO, null), backoff.status());
        assertFalse(backoff.resetIfHealthy());
    }
}
