package io.zentinel.sentinel.lua.supervisor.cgroup;

import io.zentinel.sentinel.lua.supervisor.config.WorkerConfig;

/**
 * The limits of one worker's cgroup, from the {@code workers} block.
 *
 * @param cpuQuotaMicros   CPU time per {@link #PERIOD_MICROS}, from {@code workers.cpu-percent} (of one CPU)
 * @param memoryBytes      hard memory limit, from {@code workers.memory-bytes}
 * @param memoryHighBytes  v2 only: reclaim pressure starts here, {@value #MEMORY_HIGH_PERCENT}% of the limit
 * @param pidsMax          threads and processes, from {@code workers.pids-max}
 */
public record CgroupLimits(long cpuQuotaMicros, long memoryBytes, long memoryHighBytes, long pidsMax) {

    /** The CFS period: 100 ms, the kernel's default. */
    public static final long PERIOD_MICROS = 100_000;

    /** {@code memory.high} in percent of {@code memory.max}. */
    public static final int MEMORY_HIGH_PERCENT = 90;

    public static CgroupLimits of(WorkerConfig workers) {
        long quota = workers.cpuPercent() * PERIOD_MICROS / 100;
        long memory = workers.memoryBytes();
        return new CgroupLimits(quota, memory, memory / 100 * MEMORY_HIGH_PERCENT, workers.pidsMax());
    }
}
