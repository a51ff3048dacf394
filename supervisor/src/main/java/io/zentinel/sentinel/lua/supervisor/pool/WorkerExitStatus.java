package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.WorkerExit;

/**
 * How a worker process ended.
 *
 * @param exitValue  the process's exit status ({@code 128 + signal} when a signal ended it)
 * @param killReason why the supervisor killed it, or {@code null} when it ended on its own
 * @param retired    the supervisor had told it to stop ({@link WorkerChannel#retire}); an exit
 *                   then is expected, whatever the status
 */
public record WorkerExitStatus(int exitValue, String killReason, boolean retired) {

    /** Whether the supervisor killed the process. */
    public boolean killed() {
        return killReason != null;
    }

    /**
     * {@code "killed: <reason> (<status>)"} when we killed it, else the status as
     * {@link WorkerExit#describe(int)} reads it, e.g. {@code "script set invalid (exit 78)"}.
     */
    public String describe() {
        String status = WorkerExit.describe(exitValue);
        return killReason != null ? "killed: " + killReason + " (" + status + ")" : status;
    }
}
