package io.zentinel.sentinel.lua.supervisor.pool;

import java.time.Instant;

/**
 * One worker as {@link WorkerPool#snapshot()} saw it, for the status command and metrics.
 *
 * @param generation            script generation (1 at start, +1 per reload attempt)
 * @param slot                  the pool position the worker fills (0-based); standbys are numbered
 *                              after the workers.count serving positions
 * @param standby               the worker waits as a workers.standby, idle, to take over a position
 * @param restarts              unplanned replacements of this slot so far
 * @param lastExit              how the slot's previous worker ended (e.g. {@code killed: missed
 *                              heartbeat (killed by SIGKILL (exit 137))}), or {@code null}
 * @param retireAfterExecutions this worker's jittered workers.max-executions
 */
public record WorkerStatus(int id, long pid, WorkerState state, long executions, int inFlight,
                           Instant started, long generation, int slot, boolean standby, int restarts, String lastExit,
                           long retireAfterExecutions) {
}
