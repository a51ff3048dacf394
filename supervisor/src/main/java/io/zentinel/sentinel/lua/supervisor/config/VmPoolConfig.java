package io.zentinel.sentinel.lua.supervisor.config;

import java.time.Duration;

/**
 * The {@code vm-pool} block: how many Lua VMs run, and when each is renewed inside its worker
 * (fresh global environments for its scripts, whose top-level code runs again). When the worker
 * processes themselves are retired is {@link WorkerConfig#maxAge()} and
 * {@link WorkerConfig#maxExecutions()}.
 *
 * @param size          {@code vm-pool.size}: Lua VMs over all workers (see {@link WorkerConfig#vmsPerWorker()})
 * @param maxAge        {@code vm-pool.max-age}: lifetime of one Lua VM before it is renewed
 * @param maxExecutions {@code vm-pool.max-executions}: calls one Lua VM runs before it is renewed
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
