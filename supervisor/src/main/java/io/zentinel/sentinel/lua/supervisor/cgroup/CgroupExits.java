package io.zentinel.sentinel.lua.supervisor.cgroup;

import io.zentinel.sentinel.lua.supervisor.pool.WorkerExitStatus;
import java.util.function.LongSupplier;

/** How a worker's exit reads once its cgroup's counters are known. */
public final class CgroupExits {

    /** The kill reason of a worker the kernel killed at its cgroup's memory limit. */
    public static final String OOM_KILL = "cgroup memory limit (oom_kill)";

    /** SIGKILL: what the OOM killer sends. */
    static final int SIGKILL_STATUS = 128 + 9;
    static final int OOM_COUNT_READS = 5;
    static final long OOM_COUNT_PAUSE_MS = 20;

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

    /**
     * As {@link #withCgroupCause(WorkerExitStatus, long)}, reading {@code oomKills} only for an
     * exit the OOM killer may have caused (SIGKILL the supervisor did not send). The kernel counts
     * an OOM kill just after it sends the SIGKILL, so on a busy machine the process can be gone
     * before the count is: a count of 0 is read again, {@value #OOM_COUNT_READS} times at most,
     * {@value #OOM_COUNT_PAUSE_MS} ms apart (seen on a loaded 2-core machine).
     */
    public static WorkerExitStatus withCgroupCause(WorkerExitStatus status, LongSupplier oomKills) {
        if (status.killReason() != null || status.exitValue() != SIGKILL_STATUS) {
            return status;
        }
        long count = oomKills.getAsLong();
        for (int read = 1; count == 0 && read < OOM_COUNT_READS; read++) {
            try {
                Thread.sleep(OOM_COUNT_PAUSE_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            count = oomKills.getAsLong();
        }
        return withCgroupCause(status, count);
    }
}
