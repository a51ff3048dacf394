package io.zentinel.sentinel.lua.supervisor.cgroup;

import java.nio.file.Path;
import java.util.List;

/**
 * The cgroup of one worker process (in v1: one directory in each of the cpu, memory and pids
 * hierarchies). Thread-safe.
 */
public interface WorkerCgroup extends AutoCloseable {

    int workerId();

    /** The cgroup's directory (v1: the one in the cpu hierarchy), for logs and {@code status}. */
    Path path();

    /** Every directory the worker is placed in: one in v2, one per hierarchy in v1. */
    List<Path> paths();

    /**
     * The argv to put in front of the worker's command so that the process is inside this cgroup
     * before the JVM starts (the JVM reads its cgroup limits once, at start): {@code /bin/sh -c
     * '…echo $$ > <dir>/cgroup.procs…; exec "$0" "$@"'}. Empty when nothing is to be placed.
     */
    List<String> placeCommandPrefix();

    /**
     * Periods in which the cgroup was throttled ({@code cpu.stat nr_throttled}); -1 if unknown.
     * After {@link #close()}: the value read just before the removal (so also for the OOM count).
     */
    long throttledCount();

    /** Processes the kernel's OOM killer killed in this cgroup ({@code oom_kill}); -1 if unknown. */
    long oomKills();

    /**
     * Removes the cgroup once its processes have gone (retrying briefly while the kernel still
     * counts the exited process). Idempotent; logs instead of throwing.
     */
    @Override
    void close();
}
