package io.zentinel.sentinel.lua.worker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import io.zentinel.sentinel.lua.protocol.v1.VmRenewal;
import org.junit.jupiter.api.Test;

class VmLifetimeTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void dueAfterMaxExecutionsLessAtMostTheJitter() {
        for (int round = 0; round < 50; round++) {
            VmLifetime lifetime = new VmLifetime(VmRenewal.newBuilder().setMaxExecutions(1000).build(), 0);
            int calls = 1;
            while (!lifetime.executedIsDue(0)) {
                calls++;
            }
            assertTrue(calls <= 1000 && calls >= 1000 - 25, "due after " + calls);
        }
    }

    @Test
    void restartCountsAgain() {
        VmLifetime lifetime = new VmLifetime(VmRenewal.newBuilder().setMaxExecutions(2).build(), 0);
        assertFalse(lifetime.executedIsDue(0));
        assertTrue(lifetime.executedIsDue(0));
        lifetime.restart(0);
        assertFalse(lifetime.executedIsDue(0));
        assertTrue(lifetime.executedIsDue(0));
    }

    @Test
    void dueAfterMaxAgeLessAtMostTheJitter() {
        VmLifetime lifetime = new VmLifetime(VmRenewal.newBuilder().setMaxAgeMs(40_000).build(), 0);
        assertFalse(lifetime.executedIsDue(39 * SECOND - 1));
        assertTrue(lifetime.executedIsDue(40 * SECOND));
        lifetime.restart(100 * SECOND);
        assertFalse(lifetime.executedIsDue(100 * SECOND + 38 * SECOND));
        assertTrue(lifetime.executedIsDue(100 * SECOND + 40 * SECOND));
    }

    @Test
    void noLimitsNeverDue() {
        VmLifetime lifetime = new VmLifetime(VmRenewal.getDefaultInstance(), 0);
        for (int i = 0; i < 100_000; i++) {
            assertFalse(lifetime.executedIsDue(i * SECOND));
        }
    }

    @Test
    void anAgeBeyondTheNanosecondClockIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new VmLifetime(VmRenewal.newBuilder().setMaxAgeMs(Long.MAX_VALUE).build(), 0));
        assertThrows(IllegalArgumentException.class,
                () -> new VmLifetime(VmRenewal.newBuilder().setMaxAgeMs(-1).build(), 0));
    }
}
