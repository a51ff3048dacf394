package io.zentinel.sentinel.lua.supervisor.cgroup;

import io.zentinel.sentinel.lua.supervisor.config.WorkerConfig;

/**
 * The limits of one worker's cgroup, from the {@code workers} block.
 *
 * @param cpuQuotaMicros   CPU time per {@link #PERIOD_MICROS}, from {@code workers.cpu-percent} (of one CPU)
 * @param memoryBytes      hard memory limit, from {@code workers.memory-bytes}
 * @param memoryHighBytes  v2 only: reclaim pressure starts here, {@value #MEMORY_HIGH_PERCENT}% of the limit
 * @param pidsMax          threads and processes, from {@code workers.pids-max}
 * @param baseCpuShares    v1: {@code cpu.shares} of the base cgroup that holds all workers,
 *                         {@value #SHARES_PER_THREAD} per Lua VM of all workers; v2 in the root
 *                         cgroup: the same as {@link #baseCpuWeight()}. The workers in it keep the
 *                         default weight: they are equal, so it splits the base's CPU evenly.
 */
public record CgroupLimits(long cpuQuotaMicros, long memoryBytes, long memoryHighBytes, long pidsMax,
                           long baseCpuShares) {

    /** The CFS period: 100 ms, the kernel's default. */
    public static final long PERIOD_MICROS = 100_000;

    /** {@code memory.high} in percent of {@code memory.max}. */
    public static final int MEMORY_HIGH_PERCENT = 90;

    /** The weight of one thread of its own: the kernel's default {@code cpu.shares}. */
    public static final long SHARES_PER_THREAD = 1024;
    /** The kernel's bounds of {@code cpu.shares}. */
    static final long MIN_SHARES = 2;
    static final long MAX_SHARES = 262_144;

    public static CgroupLimits of(WorkerConfig workers) {
        long quota = workers.cpuPercent() * PERIOD_MICROS / 100;
        long memory = workers.memoryBytes();
        return new CgroupLimits(quota, memory, memory / 100 * MEMORY_HIGH_PERCENT, workers.pidsMax(),
                shares((long) workers.vmsPerWorker() * workers.count()));
    }

    /**
     * The {@code cpu.shares} of {@code threads} threads. Under cgroup v1 the supervisor's threads
     * stay in its own cgroup, where each weighs {@value #SHARES_PER_THREAD} against the workers'
     * base cgroup; at the kernel's default weight the base cgroup, all workers together, would
     * weigh as one thread, and a busy supervisor (or proxy beside it) would starve them until
     * calls overran their deadline. Weighing each Lua VM as one thread shares the CPU as it would
     * be shared without cgroups; {@code cpu.cfs_quota_us} still caps each worker.
     */
    static long shares(long threads) {
        return Math.clamp(threads * SHARES_PER_THREAD, MIN_SHARES, MAX_SHARES);
    }

    /**
     * {@code cpu.weight} of the v2 base cgroup when the supervisor stays beside it, in the root
     * cgroup: {@link #baseCpuShares} in v2's scale, where 100 weighs as one thread (1..10000).
     */
    public long baseCpuWeight() {
        return Math.clamp(baseCpuShares * 100 / SHARES_PER_THREAD, 1, 10_000);
    }
}
