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
    /** 0 until the first collection, as the JVM reports it. */
    private final AtomicLong afterLast = new AtomicLong();
    private final AtomicInteger collections = new AtomicInteger();
    /** A collection leaves 7 units, as the supervisor's live heap. */
    private final OldGenerationWatch watch = new OldGenerationWatch(used::get, afterLast::get, () -> {
        collections.incrementAndGet();
        used.set(7);
        afterLast.set(7);
    }, 8);

    @Test
    void beforeAnyCollectionGrowthCountsFromTheFirstReading() {
        used.set(30);
        assertFalse(watch.check(), "what the old generation holds at start is not growth");
        used.set(37);
        assertFalse(watch.check(), "7 over the first reading");
        used.set(38);
        assertTrue(watch.check());
        assertEquals(1, collections.get());
    }

    @Test
    void afterACollectionGrowthCountsFromWhatItLeft() {
        used.set(2);
        assertFalse(watch.check());
        used.set(10);
        assertTrue(watch.check());

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
