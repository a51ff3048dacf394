package io.zentinel.sentinel.lua.supervisor.admin;

import java.util.List;
import java.util.Map;

/**
 * What {@code sentinel-lua-agent status} shows: the answer to the admin {@code status} command.
 * Serialised as JSON with snake_case member names (see {@link AdminProtocol}); figures that could
 * not be measured are {@code null}.
 *
 * @param agent      the agent and its configuration
 * @param supervisor the supervisor process
 * @param workers    every live worker: serving, starting and retiring ones
 * @param scripts    the scripts that serve
 * @param lastReload the last reload attempt, {@code null} before the first
 * @param reloads    reload attempts since start
 * @param totals     counters since start
 */
public record StatusReport(Agent agent, ProcessFigures supervisor, List<Worker> workers, Scripts scripts,
                           ReloadReport lastReload, Reloads reloads, Totals totals) {

    public StatusReport {
        workers = List.copyOf(workers);
    }

    /**
     * @param started          start time, ISO-8601 UTC
     * @param watchIntervalMs  scripts.watch-interval
 * @param workersStandby   workers.standby
     * @param crashLoopDeaths  consecutive early worker deaths (0 when healthy)
     * @param crashLoopBackoffMs delay before the next relaunch while crash-looping
     * @param crashLoopLastDeath how the latest early death ended ({@code null} when not crash-looping)
     */
    public record Agent(String version, long pid, String started, long uptimeSeconds, String socketPath,
                        String adminSocketPath, String scriptsDirectory, boolean hotReload, long watchIntervalMs,
                        boolean failOpen, int workersConfigured, int vmsPerWorker, int workersStandby,
                        int crashLoopDeaths,
                        long crashLoopBackoffMs, String crashLoopLastDeath) {
    }

    /** Figures of one process; {@code null} when they could not be sampled. */
    public record ProcessFigures(long pid, Long rssBytes, Double cpuPercent) {
    }

    /**
     * @param state      starting, ready, standby (ready, waiting to take over a slot), retiring or dead
     * @param generation the script generation it runs
     * @param vms        Lua VMs in this worker
     * @param executions calls answered
     * @param started    launch time, ISO-8601 UTC
     * @param restarts   unplanned replacements of this worker's slot
     * @param lastExit   how the slot's previous worker ended (the last breach or crash), or {@code null}
     * @param cgroup     the worker's cgroup, {@code null} when the host lets the agent create none
     */
    public record Worker(int id, long pid, String state, long generation, int slot, int vms, long executions,
                         int inFlight, Long rssBytes, Double cpuPercent, String started, long ageSeconds,
                         int restarts, String lastExit, String cgroup) {
    }

    /**
     * @param generation serving generation: 1 at start; each reload attempt takes the next number,
     *                   so after a rejected attempt the next accepted one skips a number
     * @param loadedAt   when it started serving, ISO-8601 UTC
     * @param loaded     the scripts, in run order
     * @param leftOut    scripts left out when the agent started (an accepted reload has none)
     */
    public record Scripts(long generation, String loadedAt, List<ScriptView> loaded, List<ProblemView> leftOut) {
        public Scripts {
            loaded = List.copyOf(loaded);
            leftOut = List.copyOf(leftOut);
        }
    }

    public record Reloads(long accepted, long rejected) {
    }

    /**
     * @param requests       RequestHeaders events received
     * @param events         events of every type received
     * @param inFlight       events received and not answered yet
     * @param connections    proxy connections open
     * @param decisions      decisions by kind: allow, block, redirect
     * @param failures       failure-mode decisions by cause (script-error, time-limit …), every cause listed
     * @param scriptFailures failure-mode decisions by script name, all causes together; {@code (none)}
     *                       for those no script is to blame for (no worker, overloaded …)
     * @param failuresByScript failure-mode decisions by script name, then by cause (instruction-limit,
     *                       string-limit, script-error …), causes that did not occur left out
     */
    public record Totals(long requests, long events, long inFlight, int connections, Map<String, Long> decisions,
                         Map<String, Long> failures, Map<String, Long> scriptFailures,
                         Map<String, Map<String, Long>> failuresByScript) {
    }
}
