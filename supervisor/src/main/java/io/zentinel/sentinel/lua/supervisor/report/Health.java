package io.zentinel.sentinel.lua.supervisor.report;

import io.zentinel.sentinel.lua.supervisor.pool.WorkerPool;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerStatus;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec.HealthState;
import java.util.List;
import java.util.Objects;

/**
 * The agent's health as the proxy is told it (HealthStatus, 0x30), with the reason.
 *
 * <ul>
 * <li>unhealthy: no worker of the serving generation is ready, so every event gets the failure mode;</li>
 * <li>degraded: fewer ready workers than {@code workers.count}, or workers crash-looping;</li>
 * <li>draining: the agent is stopping and finishes the events it has;</li>
 * <li>healthy: otherwise.</li>
 * </ul>
 */
public record Health(HealthState state, String reason) {

    public Health {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
    }

    public static Health draining() {
        return new Health(HealthState.DRAINING, "agent stopping");
    }

    /**
     * Judges the ready workers of the serving {@code generation} in {@code snapshot} against the
     * {@code expected} count (workers of a retired generation finishing their calls do not count).
     */
    public static Health of(List<WorkerStatus> snapshot, long generation, WorkerPool.CrashLoop crashLoop,
                            int expected) {
        long ready = Math.min(expected, readyWorkers(snapshot, generation));
        String workers = ready + " of " + expected + " workers ready";
        if (ready == 0) {
            return new Health(HealthState.UNHEALTHY, crashLoop.looping()
                    ? workers + ", crash loop: " + crashLoop.earlyDeaths() + " early deaths, next start in "
                            + crashLoop.backoff().toMillis() + " ms" + lastDeath(crashLoop)
                    : workers);
        }
        if (crashLoop.looping()) {
            return new Health(HealthState.DEGRADED, workers + ", crash loop: " + crashLoop.earlyDeaths()
                    + " early deaths" + lastDeath(crashLoop));
        }
        if (ready < expected) {
            return new Health(HealthState.DEGRADED, workers);
        }
        return new Health(HealthState.HEALTHY, workers);
    }

    /** Ready workers of the serving {@code generation} in {@code snapshot}; standbys serve nothing yet. */
    static long readyWorkers(List<WorkerStatus> snapshot, long generation) {
        return snapshot.stream()
                .filter(w -> w.generation() == generation && !w.standby() && w.state() == WorkerState.READY)
                .count();
    }

    private static String lastDeath(WorkerPool.CrashLoop crashLoop) {
        return crashLoop.lastDeath() == null ? "" : "; last: " + crashLoop.lastDeath();
    }
}
