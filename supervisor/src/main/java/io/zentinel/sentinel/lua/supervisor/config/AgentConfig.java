package io.zentinel.sentinel.lua.supervisor.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The whole agent configuration, one record per block of the KDL file. Every record checks its
 * own keys; this constructor checks the rules that span blocks.
 *
 * @param socketPath {@code socket-path}: the Unix socket the proxy connects to
 * @param scripts    {@code scripts { … }}
 * @param vmPool     {@code vm-pool { … }}
 * @param limits     {@code resource-limits { … }}
 * @param safety     {@code safety { … }}
 * @param workers    {@code workers { … }}
 * @param admin      {@code admin { … }}
 * @param logLevel   {@code log-level}: one of {@link #LOG_LEVELS}
 */
public record AgentConfig(
        Path socketPath,
        ScriptConfig scripts,
        VmPoolConfig vmPool,
        ResourceLimits limits,
        SafetyConfig safety,
        WorkerConfig workers,
        AdminConfig admin,
        String logLevel) {

    /** The accepted values of {@code log-level}, least severe first. */
    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error");

    public AgentConfig {
        ConfigCheck.socketPath("socket-path", socketPath);
        ConfigCheck.present("scripts", scripts);
        ConfigCheck.present("vm-pool", vmPool);
        ConfigCheck.present("resource-limits", limits);
        ConfigCheck.present("safety", safety);
        ConfigCheck.present("workers", workers);
        ConfigCheck.present("admin", admin);
        ConfigCheck.present("log-level", logLevel);
        if (!LOG_LEVELS.contains(logLevel)) {
            throw new ConfigException("log-level must be one of " + String.join(", ", LOG_LEVELS)
                    + " (was \"" + logLevel + "\")");
        }
        int derived = Math.ceilDiv(vmPool.size(), workers.count());
        if (workers.vmsPerWorker() != derived) {
            throw new ConfigException("workers.vms-per-worker (" + workers.vmsPerWorker() + ") cannot be combined with"
                    + " vm-pool.size (" + vmPool.size() + ") and workers.count (" + workers.count() + "):"
                    + " " + vmPool.size() + " VMs over " + workers.count() + " workers need " + derived + " per worker");
        }
        if (admin.socketPath().toAbsolutePath().normalize().equals(socketPath.toAbsolutePath().normalize())) {
            throw new ConfigException("admin.socket-path cannot be combined with socket-path:"
                    + " they name the same socket (was " + socketPath + ")");
        }
    }

    /** The configuration used when no file is given. */
    public static AgentConfig defaults() {
        return new AgentConfig(Path.of("/tmp/sentinel-lua.sock"), ScriptConfig.defaults(), VmPoolConfig.defaults(),
                ResourceLimits.defaults(), SafetyConfig.defaults(), WorkerConfig.defaults(), AdminConfig.defaults(),
                "info");
    }

    /** For {@code --socket}. */
    public AgentConfig withSocketPath(Path newSocketPath) {
        return new AgentConfig(newSocketPath, scripts, vmPool, limits, safety, workers, admin, logLevel);
    }

    /** For {@code --scripts}. */
    public AgentConfig withScriptsDirectory(Path directory) {
        return new AgentConfig(socketPath, scripts.withDirectory(directory), vmPool, limits, safety, workers, admin,
                logLevel);
    }

    /** For {@code --log-level}. */
    public AgentConfig withLogLevel(String newLogLevel) {
        return new AgentConfig(socketPath, scripts, vmPool, limits, safety, workers, admin, newLogLevel);
    }

    /** With another {@code workers} block (offline commands adjust its timing). */
    public AgentConfig withWorkers(WorkerConfig newWorkers) {
        return new AgentConfig(socketPath, scripts, vmPool, limits, safety, newWorkers, admin, logLevel);
    }
}
