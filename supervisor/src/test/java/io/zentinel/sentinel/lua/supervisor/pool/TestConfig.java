package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.supervisor.config.AdminConfig;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.config.ResourceLimits;
import io.zentinel.sentinel.lua.supervisor.config.SafetyConfig;
import io.zentinel.sentinel.lua.supervisor.config.ScriptConfig;
import io.zentinel.sentinel.lua.supervisor.config.VmPoolConfig;
import io.zentinel.sentinel.lua.supervisor.config.WorkerConfig;
import java.nio.file.Path;
import java.time.Duration;

/** Builds an {@link AgentConfig} from the defaults with the few values a test cares about. */
final class TestConfig {
    int workers = 2;
    int vmsPerWorker = 1;
    /** workers.max-executions and workers.max-age: when a worker JVM retires. */
    long maxExecutions = 5000;
    Duration maxAge = Duration.ofHours(1);
    /** vm-pool.max-executions and vm-pool.max-age: when a Lua VM is renewed inside its worker. */
    long vmMaxExecutions = 5000;
    Duration vmMaxAge = Duration.ofMinutes(10);
    boolean failOpen = true;
    int maxConcurrent = 100;
    long maxBodyBytes = 1024 * 1024;
    long maxCtxBytes = 64 * 1024;
    Duration maxExecutionTime = Duration.ofMillis(100);
    Duration killGrace = Duration.ofMillis(250);
    Duration startTimeout = Duration.ofSeconds(5);
    Duration heartbeatInterval = Duration.ofSeconds(2);
    long heapBytes = 64L * 1024 * 1024;
    String logLevel = "info";
    int nice = 0;
    long cpuSeconds = WorkerConfig.NO_CPU_LIMIT;
    /** workers.standby: started workers kept ready to take over. */
    int standby = 0;

    AgentConfig build() {
        ScriptConfig scripts = ScriptConfig.defaults();
        scripts = new ScriptConfig(Path.of("scripts"), false, scripts.watchInterval(), Duration.ofMillis(50),
                scripts.cacheSize(), maxBodyBytes);
        ResourceLimits d = ResourceLimits.defaults();
        ResourceLimits limits = new ResourceLimits(d.maxMemoryBytes(), d.maxInstructions(), maxExecutionTime, false,
                false, d.maxStringBytes(), d.maxTableEntries(), d.maxCallDepth(), d.maxCoroutines(), maxCtxBytes);
        WorkerConfig w = WorkerConfig.defaults();
        WorkerConfig workerConfig = new WorkerConfig(workers, vmsPerWorker, heapBytes, Math.max(w.memoryBytes(), heapBytes * 2),
                w.cpuPercent(), w.pidsMax(), startTimeout, killGrace, heartbeatInterval, nice, cpuSeconds, maxAge,
                maxExecutions, standby);
        return new AgentConfig(Path.of("/tmp/test-agent.sock"), scripts,
                new VmPoolConfig(workers * vmsPerWorker, vmMaxAge, vmMaxExecutions), limits,
                new SafetyConfig(failOpen, false, maxConcurrent), workerConfig,
                new AdminConfig(Path.of("/tmp/test-admin.sock")), logLevel);
    }
}
