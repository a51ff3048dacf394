package io.zentinel.sentinel.lua.worker.sandbox;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;

/**
 * The worker's live heap as the garbage collector last saw it: the sum, over the heap's memory
 * pools, of the bytes in use right after each pool's most recent collection
 * ({@code MemoryPoolMXBean.getCollectionUsage()}). Garbage allocated since then is not counted;
 * live data allocated since then is counted only from the next collection on.
 */
final class LiveHeap {
    private static final List<MemoryPoolMXBean> POOLS = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP && p.isValid() && p.getCollectionUsage() != null)
            .toList();

    private LiveHeap() {
    }

    static long bytesAfterLastCollection() {
        long used = 0;
        for (MemoryPoolMXBean pool : POOLS) {
            MemoryUsage usage = pool.getCollectionUsage();
            if (usage != null) {
                used += usage.getUsed();
            }
        }
        return used;
    }
}
