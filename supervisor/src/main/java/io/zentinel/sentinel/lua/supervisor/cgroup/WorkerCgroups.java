package io.zentinel.sentinel.lua.supervisor.cgroup;

import io.zentinel.sentinel.lua.supervisor.config.WorkerConfig;
import java.io.IOException;
import java.util.Optional;

/**
 * Where worker processes are fenced by the kernel: cgroup v2, cgroup v1, or nothing. Made once per
 * supervisor by {@link #detect(WorkerConfig)}, closed after the last worker has exited.
 */
public interface WorkerCgroups extends AutoCloseable {

    enum Mode { V2, V1, NONE }

    Mode mode();

    /**
     * One line for logs and {@code status}: {@code "cgroup v1 (cpu, memory, pids) under …"}, or
     * {@code "none: <why>"}.
     */
    String description();

    /**
     * Creates the cgroup of worker {@code workerId} with the configured limits.
     *
     * @throws IOException the kernel refused; the worker must then not be started unfenced
     */
    WorkerCgroup create(int workerId) throws IOException;

    /** The cgroup of a worker that has one and has not been removed. */
    Optional<WorkerCgroup> find(int workerId);

    /** Removes the cgroups left and this supervisor's base directory. Idempotent. */
    @Override
    void close();

    /**
     * System property that turns per-worker cgroups off ({@value #OFF_VALUE}): for comparisons
     * and for hosts where another tool owns the cgroups. Not a configuration key.
     */
    String PROPERTY = "sentinel.lua.cgroups";
    String OFF_VALUE = "off";

    /**
     * Detects the usable cgroup setup of this host (see {@link CgroupDetector}), unless the
     * system property {@value #PROPERTY} is {@value #OFF_VALUE}. Never throws.
     */
    static WorkerCgroups detect(WorkerConfig workers) {
        if (OFF_VALUE.equals(System.getProperty(PROPERTY))) {
            WorkerCgroups off = none("turned off with -D" + PROPERTY + "=" + OFF_VALUE);
            CgroupDetector.warnNone(off);
            return off;
        }
        return CgroupDetector.system().detect(CgroupLimits.of(workers));
    }

    /** No cgroups: every worker runs with only its JVM flags as limits. */
    static WorkerCgroups none(String reason) {
        return new NoWorkerCgroups(reason);
    }
}
