package io.zentinel.sentinel.lua.supervisor.config;

import java.time.Duration;

/**
 * The {@code workers} block: the sandboxed worker JVMs that host the Lua VMs, and the operating
 * system limits each one runs under.
 *
 * @param count             {@code workers.count}: worker JVMs
 * @param vmsPerWorker      {@code workers.vms-per-worker}: Lua VMs (threads) in each worker; the
 *                          loader derives it from {@code vm-pool.size} unless it is given
 * @param heapBytes         {@code workers.heap-bytes}: {@code -Xmx} of each worker
 * @param memoryBytes       {@code workers.memory-bytes}: cgroup memory limit of each worker
 * @param cpuPercent        {@code workers.cpu-percent}: CPU quota of each worker, in percent of one CPU
 * @param pidsMax           {@code workers.pids-max}: cgroup limit on threads and processes of each worker
 * @param startTimeout      {@code workers.start-timeout}: time a new worker has to report ready
 * @param killGrace         {@code workers.kill-grace}: time past {@code resource-limits.max-execution-time}
 *                          before the supervisor kills a worker whose call has not returned
 * @param heartbeatInterval {@code workers.heartbeat-interval}: how often idle workers are pinged
 * @param nice              {@code workers.nice}: scheduling niceness of each worker process, 0 (as the
 *                          supervisor) to 19 (yields the most)
 * @param cpuSeconds        {@code workers.cpu-seconds}: RLIMIT_CPU of each worker process, the CPU time
 *                          it may use over its whole life; {@value #NO_CPU_LIMIT} for none
 * @param maxAge            {@code workers.max-age}: lifetime of a worker process before it is retired
 * @param maxExecutions     {@code workers.max-executions}: calls a worker process serves before it is retired
 * @param standby           {@code workers.standby}: started, idle workers kept ready beside the serving
 *                          ones, so one takes over at once when a serving worker dies or retires
 */
public record WorkerConfig(
        int count,
        int vmsPerWorker,
        long heapBytes,
        long memoryBytes,
        int cpuPercent,
        int pidsMax,
        Duration startTimeout,
        Duration killGrace,
        Duration heartbeatInterval,
        int nice,
        long cpuSeconds,
        Duration maxAge,
        long maxExecutions,
        int standby) {

    /** {@code workers.cpu-seconds} when the CPU time of a worker is not limited. */
    public static final long NO_CPU_LIMIT = 0;
    /** The highest niceness Linux knows. */
    static final int MAX_NICE = 19;
    /** About three years: far beyond any worker's max-age, and no overflow in the rlimit. */
    static final long MAX_CPU_SECONDS = 100_000_000;

    /** Below this a worker JVM with LuaJ loaded has no room left for scripts. */
    static final long MIN_HEAP_BYTES = 16L * 1024 * 1024;

    public WorkerConfig {
        ConfigCheck.atLeast("workers.count", count, 1);
        ConfigCheck.atLeast("workers.vms-per-worker", vmsPerWorker, 1);
        ConfigCheck.atLeast("workers.heap-bytes", heapBytes, MIN_HEAP_BYTES);
        ConfigCheck.atLeast("workers.memory-bytes", memoryBytes, 1);
        ConfigCheck.between("workers.cpu-percent", cpuPercent, 1, 6400);
        ConfigCheck.atLeast("workers.pids-max", pidsMax, 1);
        ConfigCheck.between("workers.start-timeout", startTimeout, Duration.ofMillis(1), Duration.ofMinutes(10));
        ConfigCheck.between("workers.kill-grace", killGrace, Duration.ZERO, Duration.ofSeconds(60));
        ConfigCheck.between("workers.heartbeat-interval", heartbeatInterval,
                Duration.ofMillis(100), Duration.ofSeconds(60));
        ConfigCheck.between("workers.nice", nice, 0, MAX_NICE);
        if (cpuSeconds != NO_CPU_LIMIT) {
            ConfigCheck.between("workers.cpu-seconds", cpuSeconds, 1, MAX_CPU_SECONDS, NO_CPU_LIMIT + " (no limit)");
        }
        ConfigCheck.between("workers.max-age", maxAge, Duration.ofSeconds(1), Duration.ofHours(168));
        ConfigCheck.atLeast("workers.max-executions", maxExecutions, 1);
        if (standby < 0 || standby > count) {
            throw new ConfigException("workers.standby must be between 0 and workers.count (" + count + ") (was "
                    + standby + ")");
        }
        // Both keys are in this block, so the rule lives here rather than in AgentConfig: a
        // WorkerConfig that cannot start a JVM inside its own cgroup is never built.
        long maxHeap = maxHeapBytes(memoryBytes);
        if (heapBytes > maxHeap) {
            throw new ConfigException("workers.heap-bytes (" + heapBytes + ") must be at most 75% of"
                    + " workers.memory-bytes (" + memoryBytes + "), which is " + maxHeap
                    + ": the JVM needs the rest for metaspace, code and thread stacks");
        }
    }

    /** The defaults, for a pool of the default {@code vm-pool.size}. */
    public static WorkerConfig defaults() {
        int count = 2;
        return new WorkerConfig(count, Math.ceilDiv(VmPoolConfig.defaults().size(), count), 64L * 1024 * 1024,
                192L * 1024 * 1024, 100, 128, Duration.ofSeconds(10), Duration.ofMillis(250), Duration.ofSeconds(2),
                0, NO_CPU_LIMIT, Duration.ofHours(1), 1_000_000, 0);
    }

    public WorkerConfig withVmsPerWorker(int newVmsPerWorker) {
        return new WorkerConfig(count, newVmsPerWorker, heapBytes, memoryBytes, cpuPercent, pidsMax,
                startTimeout, killGrace, heartbeatInterval, nice, cpuSeconds, maxAge, maxExecutions, standby);
    }

    /** Whether {@code workers.cpu-seconds} limits the CPU time of each worker. */
    public boolean cpuLimited() {
        return cpuSeconds != NO_CPU_LIMIT;
    }

    /** 75% of {@code memoryBytes}, rounded down, without overflowing. */
    private static long maxHeapBytes(long memoryBytes) {
        long quarterRoundedUp = memoryBytes / 4 + (memoryBytes % 4 == 0 ? 0 : 1);
        return memoryBytes - quarterRoundedUp;
    }
}
