package io.zentinel.sentinel.lua.supervisor.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one load run measured, and how it is printed: as text for a person, or as one JSON
 * object (one line) for the benchmark runner and {@link BenchReport}.
 *
 * @param percentiles      p50, p90, p99, p99.9 and max latency, in nanoseconds
 * @param errors           answers with an unknown correlation id, and connections lost under load
 * @param agentCpu         CPU time of the agent's processes over the measured window
 * @param clientCpuSeconds CPU time of this load generator over the measured window
 */
public record LoadResult(LoadGenerator.Plan plan, long answered, long elapsedNanos, long[] percentiles,
                         long errors, Answers answers, long agentPid, AgentProcesses.Cpu agentCpu,
                         double clientCpuSeconds, MemoryFigures memory) {

    /**
     * How the answers of the measured window decided.
     *
     * @param failureCauses failure-mode answers by the cause in their audit tags
     *                      ({@code time-limit}, {@code overloaded}, ...)
     */
    public record Answers(long allow, long block, long other, long failureMode, Map<String, Long> failureCauses) {
        public Answers {
            failureCauses = Map.copyOf(failureCauses);
        }

        /** {@code "time-limit 12, overloaded 3"}, in the causes' name order. */
        public String causes() {
            StringBuilder sb = new StringBuilder();
            new TreeMap<>(failureCauses).forEach((cause, n) -> sb.append(sb.isEmpty() ? "" : ", ")
                    .append(cause).append(' ').append(n));
            return sb.toString();
        }
    }

    /**
     * Resident memory of the agent's processes.
     *
     * @param before      after connecting, before the first event of this run
     * @param measured    first sample of the measured window (after the warm-up), or null
     * @param after       at the end of the measured window
     * @param peakTotalKb largest total (all processes) sampled during the window
     * @param childrenSeen child processes seen during the window; more than are alive at a
     *                    time when workers were replaced (at least that many: short-lived ones can
     *                    fall between two samples)
     */
    public record MemoryFigures(AgentProcesses.Memory before, AgentProcesses.Memory measured,
                                AgentProcesses.Memory after, long peakTotalKb, int childrenSeen) {
    }

    public double throughput() {
        return answered / (elapsedNanos / 1e9);
    }

    /** Agent CPU (all its processes) per answered event, in microseconds; NaN when unknown. */
    public double cpuMicrosPerEvent() {
        return agentCpu.available() && answered > 0 ? agentCpu.seconds() * 1e6 / answered : Double.NaN;
    }

    /** This load generator's CPU per answered event, in microseconds; NaN when unknown. */
    public double clientCpuMicrosPerEvent() {
        return !Double.isNaN(clientCpuSeconds) && answered > 0 ? clientCpuSeconds * 1e6 / answered : Double.NaN;
    }

    public void print(PrintWriter out) {
        out.printf(Locale.ROOT, "setup: socket %s, %d connection(s), %d event(s) in flight, warm-up %ds, measured %ds%n",
                plan.socket(), plan.connections(), plan.concurrency(), plan.warmup().toSeconds(),
                plan.duration().toSeconds());
        out.printf(Locale.ROOT, "events: %s; %d bytes each%n", plan.workload().describe(), plan.workload().eventBytes());
        out.printf(Locale.ROOT, "machine: %d CPU(s), Java %s%n", Runtime.getRuntime().availableProcessors(),
                Runtime.version());
        out.printf(Locale.ROOT, "answered: %d in %.2fs = %.0f decisions/s, %d error(s)%n", answered,
                elapsedNanos / 1e9, throughput(), errors);
        out.printf(Locale.ROOT, "decisions: %d allow, %d block, %d other, %d failure-mode%s%n", answers.allow(),
                answers.block(), answers.other(), answers.failureMode(), answers.failureMode() > 0
                        ? " (" + answers.causes() + ": these answers measure the failure path, not the scripts)" : "");
        out.printf(Locale.ROOT, "latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s%n", micros(percentiles[0]),
                micros(percentiles[1]), micros(percentiles[2]), micros(percentiles[3]), micros(percentiles[4]));
        if (agentCpu.available()) {
            out.printf(Locale.ROOT, "agent CPU: %.2fs over %d process(es) (pid %d and its workers) = %.1f us per decision%n",
                    agentCpu.seconds(), agentCpu.processes(), agentPid, cpuMicrosPerEvent());
        } else {
            out.println("agent CPU: not available (the agent's process is not readable from here)");
        }
        if (!Double.isNaN(clientCpuSeconds)) {
            out.printf(Locale.ROOT, "load generator CPU: %.2fs = %.1f us per decision%n", clientCpuSeconds,
                    clientCpuMicrosPerEvent());
        }
        if (memory.before().available() && memory.after().available()) {
            out.printf(Locale.ROOT, "agent RSS: %s before, %s after (peak %s); pid %d %s, children %s%n",
                    mib(memory.before().totalKb()), mib(memory.after().totalKb()), mib(memory.peakTotalKb()),
                    agentPid, mib(memory.after().rootKb()), children(memory.after()));
            if (memory.childrenSeen() > memory.after().childrenKb().size()) {
                out.printf(Locale.ROOT, "child processes seen during the window: %d (replaced while measuring)%n",
                        memory.childrenSeen());
            }
        }
        out.flush();
    }

    /** One JSON object (no line breaks) with every figure; {@code tags} are copied into it verbatim. */
    public String toJson(Map<String, String> tags) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("kind", "load");
        ObjectNode t = root.putObject("tags");
        tags.forEach(t::put);
        ObjectNode setup = root.putObject("setup");
        setup.put("connections", plan.connections());
        setup.put("concurrency", plan.concurrency());
        setup.put("warmup_s", plan.warmup().toSeconds());
        setup.put("duration_s", plan.duration().toSeconds());
        setup.put("events", plan.workload().kind().wireName());
        setup.put("headers", plan.workload().headers());
        setup.put("body_bytes", plan.workload().bodyBytes());
        setup.put("event_bytes", plan.workload().eventBytes());
        ArrayNode requests = setup.putArray("requests");
        plan.workload().requests().forEach(r -> requests.add(r.toString()));
        root.put("answered", answered);
        root.put("elapsed_s", elapsedNanos / 1e9);
        root.put("throughput", throughput());
        root.put("errors", errors);
        ObjectNode decisions = root.putObject("decisions");
        decisions.put("allow", answers.allow());
        decisions.put("block", answers.block());
        decisions.put("other", answers.other());
        decisions.put("failure_mode", answers.failureMode());
        ObjectNode causes = decisions.putObject("failure_causes");
        new TreeMap<>(answers.failureCauses()).forEach(causes::put);
        ObjectNode latency = root.putObject("latency_us");
        String[] names = {"p50", "p90", "p99", "p99_9", "max"};
        for (int i = 0; i < names.length; i++) {
            latency.put(names[i], percentiles[i] / 1e3);
        }
        ObjectNode agent = root.putObject("agent");
        agent.put("pid", agentPid);
        agent.put("processes", agentCpu.processes());
        if (agentCpu.available()) {
            agent.put("cpu_s", agentCpu.seconds());
            agent.put("cpu_us_per_event", cpuMicrosPerEvent());
        }
        if (!Double.isNaN(clientCpuSeconds)) {
            root.putObject("client").put("cpu_us_per_event", clientCpuMicrosPerEvent());
        }
        ObjectNode mem = root.putObject("memory_kb");
        memory(mem, "before", memory.before());
        memory(mem, "measured", memory.measured());
        memory(mem, "after", memory.after());
        mem.put("peak_total", memory.peakTotalKb());
        mem.put("children_seen", memory.childrenSeen());
        return root.toString();
    }

    private static void memory(ObjectNode parent, String name, AgentProcesses.Memory m) {
        if (m == null || !m.available()) {
            return;
        }
        ObjectNode node = parent.putObject(name);
        node.put("root", m.rootKb());
        ArrayNode children = node.putArray("children");
        m.childrenKb().forEach(children::add);
        node.put("total", m.totalKb());
    }

    private static String children(AgentProcesses.Memory m) {
        if (m.childrenKb().isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (long kb : m.childrenKb()) {
            sb.append(sb.isEmpty() ? "" : " + ").append(mib(kb));
        }
        return sb.toString();
    }

    private static String mib(long kb) {
        return String.format(Locale.ROOT, "%.1f MiB", kb / 1024.0);
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.0fus", nanos / 1e3);
    }
}
