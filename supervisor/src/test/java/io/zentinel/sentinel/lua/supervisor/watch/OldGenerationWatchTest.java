package io.zentinel.sentinel.lua.supervisor.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OldGenerationWatchTest {
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong afterLast = new AtomicLong();
    private final AtomicInteger collections = new AtomicInteger();
    /** A collection leaves 7 units, as the supervisor's live heap. */
    private final OldGenerationWatch watch = new OldGenerationWatch(used::get, afterLast::get, () -> {
        collections.incrementAndGet();
        used.set(7);
        afterLast.set(7);
    }, 8);

    @Test
    void collectsOnceTheOldGenerationGrewByTheHeadroomSinceItsLastCollection() {
        used.set(7);
        assertFalse(watch.check(), "before any collection, what it holds counts as growth: 7 < 8");
        used.set(8);
        assertTrue(watch.check());
        assertEquals(1, collections.get());

        used.set(14);
        assertFalse(watch.check(), "7 more than after the collection");
        used.set(15);
        assertTrue(watch.check());
        assertEquals(2, collections.get());
    }

    @Test
    void aLargerLiveHeapMovesTheMarkWithIt() {
        afterLast.set(100);
        used.set(107);
        assertFalse(watch.check());
        used.set(108);
        assertTrue(watch.check());
    }

    @Test
    void watchesOnlyWhereTheJvmHasSerialGcsOldGeneration() {
        boolean serial = ManagementFactory.getMemoryPoolMXBeans().stream().map(MemoryPoolMXBean::getName)
                .anyMatch(OldGenerationWatch.SERIAL_OLD_POOL::equals);
        assertEquals(serial, OldGenerationWatch.forThisJvm().isPresent());
    }

    @Test
    void theHeadroomMustBePositive() {
        assertEquals("headroom must be > 0 (was 0)", assertThrows(IllegalArgumentException.class,
                () -> new OldGenerationWatch(used::get, afterLast::get, () -> { }, 0)).getMessage());
    }
}
