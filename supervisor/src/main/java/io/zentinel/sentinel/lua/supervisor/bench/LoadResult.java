package io.zentinel.sentinel.lua.supervisor.bench;

import java.io.PrintWriter;
import java.util.Locale;

/** What one load run measured, and how it is printed. */
public record LoadResult(LoadGenerator.Plan plan, long answered, long elapsedNanos, long[] percentiles,
                         long errors, AgentCpu.Sample cpu, long agentPid, int agentProcesses) {

    public double throughput() {
        return answered / (elapsedNanos / 1e9);
    }

    /** Agent CPU (supervisor and workers) per answered event, in microseconds; NaN when unknown. */
    public double cpuMicrosPerEvent() {
        return cpu.available() && answered > 0 ? cpu.cpuSeconds() * 1e6 / answered : Double.NaN;
    }

    public void print(PrintWriter out) {
        out.printf(Locale.ROOT, "setup: socket %s, %d connection(s), %d event(s) in flight, %s %s with %d headers,"
                        + " warm-up %ds, measured %ds%n", plan.socket(), plan.connections(), plan.concurrency(),
                plan.method(), plan.uri(), plan.headers(), plan.warmup().toSeconds(), plan.duration().toSeconds());
        out.printf(Locale.ROOT, "machine: %d CPU(s), Java %s%n", Runtime.getRuntime().availableProcessors(),
                Runtime.version());
        out.printf(Locale.ROOT, "answered: %d in %.2fs = %.0f decisions/s, %d error(s)%n", answered,
                elapsedNanos / 1e9, throughput(), errors);
        out.printf(Locale.ROOT, "latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s%n", micros(percentiles[0]),
                micros(percentiles[1]), micros(percentiles[2]), micros(percentiles[3]), micros(percentiles[4]));
        if (cpu.available()) {
            out.printf(Locale.ROOT, "agent CPU: %.2fs over %d process(es) (pid %d and its workers) = %.1f us per decision%n",
                    cpu.cpuSeconds(), agentProcesses, agentPid, cpuMicrosPerEvent());
        } else {
            out.println("agent CPU: not available (the agent's process is not readable from here)");
        }
        out.flush();
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.0fus", nanos / 1e3);
    }
}
