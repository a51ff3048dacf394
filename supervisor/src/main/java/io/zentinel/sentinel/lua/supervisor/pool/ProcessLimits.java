package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.supervisor.config.WorkerConfig;
import java.util.List;

/**
 * Limits a worker gets as process attributes rather than from its cgroup, set by a {@code /bin/sh}
 * prefix before the JVM starts (so they hold from its first instruction, and {@code exec} keeps
 * the pid the supervisor watches):
 * <ul>
 * <li>{@code workers.cpu-seconds}: RLIMIT_CPU, soft at the configured seconds and hard
 *     {@value #HARD_MARGIN_SECONDS} s above. The kernel sends SIGXCPU at the soft limit, whose
 *     default action (the JVM installs no handler) ends the process with status 152; SIGKILL at
 *     the hard limit only for a process that survived that. RLIMIT_CORE 0 goes with it, as
 *     SIGXCPU would otherwise dump core. The limit counts every thread of the JVM (JIT and GC
 *     included) over the whole life of the process: a lifetime cap, which recycling by
 *     workers.max-executions and workers.max-age keeps meaningful, not a per-call one.</li>
 * <li>{@code workers.nice}: scheduling niceness, by {@code exec nice -n}. It ranks the worker's
 *     threads against the other tasks of its own cgroup: it protects the host where workers run
 *     without a cpu cgroup; inside one, the cgroup's quota and weight decide.</li>
 * </ul>
 *
 * @param nice       {@code workers.nice}, 0 to 19
 * @param cpuSeconds {@code workers.cpu-seconds}, {@link WorkerConfig#NO_CPU_LIMIT} for none
 */
public record ProcessLimits(int nice, long cpuSeconds) {

    /** How far the hard RLIMIT_CPU is above the soft one. */
    public static final long HARD_MARGIN_SECONDS = 1;

    /** The status of a process ended by SIGXCPU (RLIMIT_CPU). */
    public static final int SIGXCPU_STATUS = 128 + 24;

    /**
     * The sh exit status when a limit cannot be set (EX_OSERR, as for a cgroup that cannot be
     * joined): e.g. an inherited hard RLIMIT_CPU lower than workers.cpu-seconds.
     */
    public static final int NOT_APPLIED = 71;

    public ProcessLimits {
        if (nice < 0 || cpuSeconds < 0) {
            throw new IllegalArgumentException("nice and cpuSeconds must be >= 0 (were " + nice + ", " + cpuSeconds + ")");
        }
    }

    public static ProcessLimits of(WorkerConfig workers) {
        return new ProcessLimits(workers.nice(), workers.cpuSeconds());
    }

    /** Neither limit is set: workers start without a prefix. */
    public static ProcessLimits none() {
        return new ProcessLimits(0, WorkerConfig.NO_CPU_LIMIT);
    }

    public boolean cpuLimited() {
        return cpuSeconds != WorkerConfig.NO_CPU_LIMIT;
    }

    /**
     * The argv to put in front of the worker's command (after its cgroup's, which places the
     * process first): {@code /bin/sh -c 'ulimit -c 0; ulimit -S -t <n> && ulimit -H -t <n+1> ||
     * exit 71; exec nice -n <nice> "$0" "$@"'}, each part only when its key is set. Empty when
     * neither is.
     */
    public List<String> commandPrefix() {
        if (nice == 0 && !cpuLimited()) {
            return List.of();
        }
        StringBuilder script = new StringBuilder();
        if (cpuLimited()) {
            // soft first: a hard limit below the current soft one would be refused
            script.append("ulimit -c 0; ulimit -S -t ").append(cpuSeconds)
                    .append(" && ulimit -H -t ").append(cpuSeconds + HARD_MARGIN_SECONDS)
                    .append(" || exit ").append(NOT_APPLIED).append("; ");
        }
        script.append("exec ");
        if (nice > 0) {
            script.append("nice -n ").append(nice).append(' ');
        }
        script.append("\"$0\" \"$@\"");
        return List.of("/bin/sh", "-c", script.toString());
    }

    /**
     * {@code status} with a kill reason naming {@code workers.cpu-seconds} when the process ended
     * by SIGXCPU on its own while that limit was set, so that it reads and counts as a breach;
     * otherwise {@code status} unchanged.
     */
    public WorkerExitStatus withRlimitCause(WorkerExitStatus status) {
        if (cpuLimited() && status.killReason() == null && status.exitValue() == SIGXCPU_STATUS) {
            return new WorkerExitStatus(status.exitValue(), cpuReason(), status.retired());
        }
        return status;
    }

    /** The kill reason of a worker that used up its CPU time. */
    String cpuReason() {
        return "used up workers.cpu-seconds (" + cpuSeconds + " s of CPU)";
    }

    /** For the start-up log: {@code "nice 5, cpu-seconds 60"}, or {@code "none"}. */
    public String describe() {
        if (nice == 0 && !cpuLimited()) {
            return "none";
        }
        return "nice " + nice + ", cpu-seconds " + (cpuLimited() ? cpuSeconds : "unlimited");
    }
}
