package io.zentinel.sentinel.lua.supervisor.cgroup;

import io.zentinel.sentinel.lua.supervisor.pool.WorkerExitStatus;

/** How a worker's exit reads once its cgroup's counters are known. */
public final class CgroupExits {

    /** The kill reason of a worker the kernel killed at its cgroup's memory limit. */
    public static final String OOM_KILL = "cgroup memory limit (oom_kill)";

    /** SIGKILL: what the OOM killer sends. */
    static final int SIGKILL_STATUS = 128 + 9;

    private CgroupExits() {
    }

    /**
     * {@code status} with {@link #OOM_KILL} as its kill reason when the process ended by SIGKILL
     * that the supervisor did not send and its cgroup counted an OOM kill; else {@code status}.
     * Read {@code oomKills} before the cgroup is removed (see {@link WorkerCgroup#oomKills()}).
     */
    public static WorkerExitStatus withCgroupCause(WorkerExitStatus status, long oomKills) {
        if (status.killReason() == null && status.exitValue() == SIGKILL_STATUS && oomKills > 0) {
            return new WorkerExitStatus(status.exitValue(), OOM_KILL, status.retired());
        }
        return status;
    }

    /** Whether the kernel's OOM killer ended a process that exited with {@code exitValue}. */
    public static boolean oomKilled(int exitValue, long oomKills) {
        return exitValue == SIGKILL_STATUS && oomKills > 0;
    }
}
