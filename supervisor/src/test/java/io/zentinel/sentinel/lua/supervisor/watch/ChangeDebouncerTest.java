package io.zentinel.sentinel.lua.supervisor.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The debounce rule on a fake clock (nanoseconds, starting near the overflow of a long). */
class ChangeDebouncerTest {
    private static final long MS = 1_000_000L;
    private static final long T0 = Long.MAX_VALUE - 1000 * MS; // nanoTime may be anywhere, even about to wrap

    private final ChangeDebouncer debouncer = new ChangeDebouncer(Duration.ofMillis(200), Duration.ofSeconds(2));

    @Test
    void nothingIsDueWithoutAChange() {
        assertFalse(debouncer.pending());
        assertFalse(debouncer.isDue(T0));
    }

    @Test
    void oneChangeIsDueAfterTheQuietTime() {
        debouncer.changed(T0);
        assertFalse(debouncer.isDue(T0 + 199 * MS));
        assertTrue(debouncer.isDue(T0 + 200 * MS));
    }

    @Test
    void rapidChangesCollapseIntoOneDueAfterTheLast() {
        for (int i = 0; i < 10; i++) {
            debouncer.changed(T0 + i * 50 * MS);
            assertFalse(debouncer.isDue(T0 + i * 50 * MS + 10 * MS));
        }
        assertEquals(T0 + 450 * MS + 200 * MS, debouncer.dueAt());
        assertFalse(debouncer.isDue(T0 + 649 * MS));
        assertTrue(debouncer.isDue(T0 + 650 * MS));
        debouncer.clear();
        assertFalse(debouncer.isDue(T0 + 10_000 * MS), "handled: nothing pending any more");
    }

    @Test
    void aDirectoryThatNeverGoesQuietIsStillDueAfterTheMaximumDelay() {
        for (int i = 0; i <= 30; i++) {
            debouncer.changed(T0 + i * 100 * MS); // a change every 100 ms, for 3 s
        }
        assertEquals(T0 + 2000 * MS, debouncer.dueAt());
        assertTrue(debouncer.isDue(T0 + 2000 * MS));
    }

    @Test
    void aNewBurstStartsAfterClear() {
        debouncer.changed(T0);
        debouncer.clear();
        debouncer.changed(T0 + 5000 * MS);
        assertEquals(T0 + 5200 * MS, debouncer.dueAt());
    }

    @Test
    void rejectsAMaximumDelayShorterThanTheQuietTime() {
        assertThrows(IllegalArgumentException.class,
                () -> new ChangeDebouncer(Duration.ofSeconds(1), Duration.ofMillis(500)));
    }
}
