package io.zentinel.sentinel.lua.supervisor.config;

import java.time.Duration;

/**
 * The {@code vm-pool} block: how many Lua VMs run, and when the worker processes hosting them are
 * retired.
 *
 * @param size          {@code vm-pool.size}: Lua VMs over all workers (see {@link WorkerConfig#vmsPerWorker()})
 * @param maxAge        {@code vm-pool.max-age}: lifetime of a worker process before it is retired
 * @param maxExecutions {@code vm-pool.max-executions}: hook executions a worker runs before it is retired
 */
public record VmPoolConfig(int size, Duration maxAge, long maxExecutions) {

    public VmPoolConfig {
        ConfigCheck.atLeast("vm-pool.size", size, 1);
        ConfigCheck.between("vm-pool.max-age", maxAge, Duration.ofSeconds(1), Duration.ofHours(168));
        ConfigCheck.atLeast("vm-pool.max-executions", maxExecutions, 1);
    }

    public static VmPoolConfig defaults() {
        return new VmPoolConfig(8, Duration.ofSeconds(600), 5000);
    }
}
