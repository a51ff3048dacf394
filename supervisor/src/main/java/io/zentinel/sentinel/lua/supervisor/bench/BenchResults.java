package io.zentinel.sentinel.lua.supervisor.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The results of a benchmark run, read back from JSON lines: {@code "kind":"load"} lines written
 * by {@code bench --json} ({@link LoadResult#toJson}) and {@code "kind":"engine"} lines written by
 * the script-engine measurements of the runner. Other lines and kinds are ignored, so a results
 * file may carry comments or log lines.
 */
public record BenchResults(List<Load> loads, List<Engine> engines) {

    /** Targets the runner starts; the report knows the floors and the in-process comparison by these names. */
    public static final String C_ECHO = "c-echo";
    public static final String C_RELAY = "c-relay";
    public static final String IN_PROCESS = "in-process";
    public static final String AGENT = "agent";

    public BenchResults {
        loads = List.copyOf(loads);
        engines = List.copyOf(engines);
    }

    /**
     * One load run.
     *
     * @param memory RSS in KiB: {@code [root, children total, total]} before the run's first event
     *               and after its measured window; null when not available
     */
    public record Load(String target, String scenario, String events, int concurrency, int connections,
                       int warmupSeconds, int durationSeconds, int headers, int bodyBytes, int eventBytes,
                       List<String> requests, long answered, double throughput, long errors,
                       long allow, long block, long other, long failureMode, Map<String, Long> failureCauses,
                       double[] latencyMicros,
                       double agentCpuMicros, double clientCpuMicros, int processes,
                       Rss before, Rss after, long peakTotalKb, int childrenSeen) {
    }

    /** Resident memory in KiB of one sample: the root process and each child. */
    public record Rss(long rootKb, List<Long> childrenKb) {
        public Rss {
            childrenKb = List.copyOf(childrenKb);
        }

        public long childrenTotalKb() {
            long total = 0;
            for (long kb : childrenKb) {
                total += kb;
            }
            return total;
        }

        public long totalKb() {
            return rootKb + childrenTotalKb();
        }
    }

    /**
     * One measurement of a script engine alone.
     *
     * @param failures calls that ended in a failure (the sandbox's wall-clock budget on a crowded
     *                 machine), counted in the time per call
     * @param skipped  why the engine was not measured, or null
     */
    public record Engine(String engine, String version, String script, double nsPerCall, long calls,
                         long failures, String skipped) {
    }

    /** Reads the lines of a results file. */
    public static BenchResults parse(List<String> lines) {
        ObjectMapper json = new ObjectMapper();
        List<Load> loads = new ArrayList<>();
        List<Engine> engines = new ArrayList<>();
        int number = 0;
        for (String line : lines) {
            number++;
            String trimmed = line.trim();
            if (!trimmed.startsWith("{")) {
                continue;
            }
            JsonNode node;
            try {
                node = json.readTree(trimmed);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("results line " + number + " is not valid JSON: "
                        + e.getOriginalMessage());
            }
            switch (node.path("kind").asText()) {
                case "load" -> loads.add(load(node));
                case "engine" -> engines.add(engine(node));
                default -> {
                }
            }
        }
        return new BenchResults(loads, engines);
    }

    private static Load load(JsonNode n) {
        JsonNode tags = n.path("tags");
        JsonNode setup = n.path("setup");
        List<String> requests = new ArrayList<>();
        setup.path("requests").forEach(r -> requests.add(r.asText()));
        JsonNode latency = n.path("latency_us");
        double[] micros = {
            latency.path("p50").asDouble(), latency.path("p90").asDouble(), latency.path("p99").asDouble(),
            latency.path("p99_9").asDouble(), latency.path("max").asDouble()};
        JsonNode decisions = n.path("decisions");
        Map<String, Long> causes = new LinkedHashMap<>();
        decisions.path("failure_causes").properties().forEach(e -> causes.put(e.getKey(), e.getValue().asLong()));
        JsonNode memory = n.path("memory_kb");
        return new Load(tags.path("target").asText("?"), tags.path("scenario").asText("?"),
                setup.path("events").asText(), setup.path("concurrency").asInt(), setup.path("connections").asInt(),
                setup.path("warmup_s").asInt(), setup.path("duration_s").asInt(), setup.path("headers").asInt(),
                setup.path("body_bytes").asInt(), setup.path("event_bytes").asInt(), requests,
                n.path("answered").asLong(), n.path("throughput").asDouble(), n.path("errors").asLong(),
                decisions.path("allow").asLong(), decisions.path("block").asLong(), decisions.path("other").asLong(),
                decisions.path("failure_mode").asLong(), causes, micros,
                n.path("agent").path("cpu_us_per_event").asDouble(Double.NaN),
                n.path("client").path("cpu_us_per_event").asDouble(Double.NaN),
                n.path("agent").path("processes").asInt(),
                rss(memory.path("before")), rss(memory.path("after")),
                memory.path("peak_total").asLong(), memory.path("children_seen").asInt());
    }

    private static Rss rss(JsonNode n) {
        if (!n.isObject()) {
            return null;
        }
        List<Long> children = new ArrayList<>();
        n.path("children").forEach(c -> children.add(c.asLong()));
        return new Rss(n.path("root").asLong(), children);
    }

    private static Engine engine(JsonNode n) {
        return new Engine(n.path("engine").asText("?"), n.path("version").asText(""), n.path("script").asText(""),
                n.path("ns_per_call").asDouble(Double.NaN), n.path("calls").asLong(), n.path("failures").asLong(),
                n.hasNonNull("skipped") ? n.path("skipped").asText() : null);
    }
}
