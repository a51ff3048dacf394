package io.zentinel.sentinel.lua.supervisor.config;

import java.time.Duration;

/**
 * The {@code resource-limits} block: what one script run, or one event, may consume inside the
 * sandbox. The worker enforces these; the supervisor's kill deadline backs up
 * {@code max-execution-time}.
 *
 * @param maxMemoryBytes   {@code resource-limits.max-memory}: bytes one script run may allocate
 * @param maxInstructions  {@code resource-limits.max-instructions}: Lua VM instructions per script run
 * @param maxExecutionTime {@code resource-limits.max-execution-time}: wall-clock budget of one whole event
 * @param allowFilesystem  {@code resource-limits.allow-filesystem}: always false, see below
 * @param allowNetwork     {@code resource-limits.allow-network}: always false, see below
 * @param maxStringBytes   {@code resource-limits.max-string-bytes}: longest Lua string a script may build
 * @param maxTableEntries  {@code resource-limits.max-table-entries}: entries in one Lua table
 * @param maxCallDepth     {@code resource-limits.max-call-depth}: nested Lua calls
 * @param maxCoroutines    {@code resource-limits.max-coroutines}: coroutines one script run may create
 * @param maxCtxBytes      {@code resource-limits.max-ctx-bytes}: encoded size of {@code sentinel.ctx}
 */
public record ResourceLimits(
        long maxMemoryBytes,
        long maxInstructions,
        Duration maxExecutionTime,
        boolean allowFilesystem,
        boolean allowNetwork,
        long maxStringBytes,
        int maxTableEntries,
        int maxCallDepth,
        int maxCoroutines,
        long maxCtxBytes) {

    public ResourceLimits {
        ConfigCheck.atLeast("resource-limits.max-memory", maxMemoryBytes, 1);
        ConfigCheck.atLeast("resource-limits.max-instructions", maxInstructions, 1);
        ConfigCheck.between("resource-limits.max-execution-time", maxExecutionTime,
                Duration.ofMillis(1), Duration.ofSeconds(60));
        // The seed README lists these switches; the sandbox has no filesystem or network library
        // to switch on, so accepting true would promise something that does not happen.
        if (allowFilesystem) {
            throw new ConfigException("resource-limits.allow-filesystem true is not supported:"
                    + " scripts never get filesystem access (was true)");
        }
        if (allowNetwork) {
            throw new ConfigException("resource-limits.allow-network true is not supported:"
                    + " scripts never get network access (was true)");
        }
        ConfigCheck.atLeast("resource-limits.max-string-bytes", maxStringBytes, 1);
        ConfigCheck.atLeast("resource-limits.max-table-entries", maxTableEntries, 1);
        ConfigCheck.atLeast("resource-limits.max-call-depth", maxCallDepth, 1);
        ConfigCheck.atLeast("resource-limits.max-coroutines", maxCoroutines, 0);
        ConfigCheck.atLeast("resource-limits.max-ctx-bytes", maxCtxBytes, 1);
    }

    public static ResourceLimits defaults() {
        return new ResourceLimits(50L * 1024 * 1024, 10_000_000, Duration.ofMillis(100), false, false,
                10L * 1024 * 1024, 10_000, 200, 16, 64 * 1024);
    }
}
