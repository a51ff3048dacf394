package io.zentinel.sentinel.lua.supervisor.bench;

import io.zentinel.sentinel.lua.supervisor.bench.BenchResults.Engine;
import io.zentinel.sentinel.lua.supervisor.bench.BenchResults.Load;
import io.zentinel.sentinel.lua.supervisor.bench.BenchResults.Rss;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The markdown report of a benchmark run: setup and machine, every load run with its latency
 * percentiles, each result as a ratio to the C floors measured in the same run (same event type
 * and concurrency), what isolation costs (the agent against the same scripts in-process), the
 * script engines alone, resident memory, the workers' start times, and warnings about runs whose
 * figures do not mean what they seem to (lost answers, failure-mode decisions).
 */
public final class BenchReport {
    /** Distinct warning lines of one agent's log shown in the report, and the characters of each. */
    private static final int LOG_WARNINGS_SHOWN = 3;
    private static final int LOG_WARNING_CHARS = 200;

    private final BenchResults results;
    private final MachineInfo machine;
    private final String title;
    private final List<String> notes;
    private final List<WorkerStarts> workerStarts;
    private final List<AgentLogWarnings> logWarnings;
    private final StringBuilder md = new StringBuilder(8192);

    public BenchReport(BenchResults results, MachineInfo machine, String title, List<String> notes) {
        this(results, machine, title, notes, List.of(), List.of());
    }

    /**
     * @param workerStarts the workers' start times of each agent the run started, from its log
     * @param logWarnings  what each agent the run started logged as warnings and errors
     */
    public BenchReport(BenchResults results, MachineInfo machine, String title, List<String> notes,
            List<WorkerStarts> workerStarts, List<AgentLogWarnings> logWarnings) {
        this.results = Objects.requireNonNull(results, "results");
        this.machine = Objects.requireNonNull(machine, "machine");
        this.title = Objects.requireNonNull(title, "title");
        this.notes = List.copyOf(notes);
        this.workerStarts = List.copyOf(workerStarts);
        this.logWarnings = List.copyOf(logWarnings);
    }

    public String markdown() {
        md.setLength(0);
        line("# " + title);
        line("");
        for (String note : notes) {
            line("- " + note);
        }
        if (!notes.isEmpty()) {
            line("");
        }
        machine();
        setup();
        loads();
        ratios();
        isolation();
        engines();
        memory();
        starts();
        warnings();
        return md.toString();
    }

    // ------------------------------------------------------------------ sections

    private void machine() {
        line("## Machine");
        line("");
        line("- " + machine.cpus() + " CPU(s): " + machine.cpuModel());
        line("- memory: " + machine.memTotal());
        line("- OS: " + machine.os() + ", kernel " + machine.kernel());
        line("- Java: " + machine.java());
        line("- load average when the report was written: " + machine.loadAverage());
        line("");
    }

    private void setup() {
        if (results.loads().isEmpty()) {
            return;
        }
        Load first = results.loads().get(0);
        line("## Setup");
        line("");
        line(String.format(Locale.ROOT, "- load generator: `sentinel-lua-agent bench`, closed loop, %d connections"
                + " (as the proxy opens), events pipelined with distinct correlation ids; warm-up %d s, then %d s"
                + " measured per row", first.connections(), first.warmupSeconds(), first.durationSeconds()));
        Map<String, String> kinds = new LinkedHashMap<>();
        for (Load l : results.loads()) {
            String what = l.events().equals("RequestBodyChunk")
                    ? l.bodyBytes() + "-byte body in one event (" + l.eventBytes() + " bytes of JSON with the Base64)"
                    : l.headers() + " headers plus x-correlation-id (" + l.eventBytes() + " bytes of JSON)";
            kinds.putIfAbsent(l.events() + ": " + what, "");
        }
        kinds.keySet().forEach(k -> line("- " + k));
        Map<String, List<String>> mixes = new LinkedHashMap<>();
        for (Load l : results.loads()) {
            if (l.events().equals("RequestHeaders") && l.requests().size() > 1) {
                mixes.putIfAbsent(l.scenario(), l.requests());
            }
        }
        mixes.forEach((scenario, requests) -> line("- request mix of " + scenario + ", in turn: "
                + String.join(", ", requests.stream().map(r -> "`" + r + "`").toList())));
        line("");
    }

    private void loads() {
        if (results.loads().isEmpty()) {
            return;
        }
        tableHead("Throughput and latency",
                "Latency is from writing the event to reading its answer, at the load generator. CPU is the target's"
                        + " processes (main process and children, from `/proc`) per decision; the load generator's own"
                        + " CPU per decision is in the last column, since it shares the machine.",
                "| Target | Scenario | Events | In flight | Decisions/s | p50 | p90 | p99 | p99.9 | max | CPU"
                        + " µs/decision | Decisions | Load gen. µs |",
                "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|");
        for (Load l : displayOrder()) {
            double[] p = l.latencyMicros();
            line("| " + l.target() + " | " + l.scenario() + " | " + shortEvents(l.events()) + " | " + l.concurrency()
                    + " | " + count(l.throughput()) + " | " + micros(p[0]) + " | " + micros(p[1]) + " | " + micros(p[2])
                    + " | " + micros(p[3]) + " | " + micros(p[4]) + " | " + decimal(l.agentCpuMicros())
                    + " | " + decisions(l) + " | " + decimal(l.clientCpuMicros()) + " |");
        }
        line("");
    }

    private void ratios() {
        List<String> rows = new ArrayList<>();
        for (Load l : displayOrder()) {
            if (l.target().equals(BenchResults.C_ECHO)) {
                continue;
            }
            Load echo = floor(BenchResults.C_ECHO, l);
            Load relay = floor(BenchResults.C_RELAY, l);
            if (echo == null && relay == null) {
                continue;
            }
            rows.add("| " + l.target() + " | " + l.scenario() + " | " + shortEvents(l.events()) + " | " + l.concurrency()
                    + " | " + share(l.throughput(), echo == null ? Double.NaN : echo.throughput())
                    + " | " + share(l.throughput(), relay == null ? Double.NaN : relay.throughput())
                    + " | " + times(l.latencyMicros()[0], echo == null ? Double.NaN : echo.latencyMicros()[0])
                    + " | " + times(l.latencyMicros()[0], relay == null ? Double.NaN : relay.latencyMicros()[0])
                    + " | " + times(l.latencyMicros()[2], relay == null ? Double.NaN : relay.latencyMicros()[2])
                    + " | " + times(l.agentCpuMicros(), relay == null ? Double.NaN : relay.agentCpuMicros()) + " |");
        }
        if (rows.isEmpty()) {
            return;
        }
        tableHead("Against the floors",
                "Each result against the C floors of the same run with the same event type and number of events in"
                        + " flight. `c-echo`: one process answering on the socket; `c-relay`: a server forwarding each"
                        + " event over a pipe to a child process that answers, the agent's two-hop shape. Throughput"
                        + " as a share of the floor's (1.00 = as fast as the floor); latency and CPU as a multiple of"
                        + " the floor's (1.0x = as low as the floor).",
                "| Target | Scenario | Events | In flight | Throughput / echo | Throughput / relay | p50 × echo | p50"
                        + " × relay | p99 × relay | CPU × relay |",
                "|---|---|---|--:|--:|--:|--:|--:|--:|--:|");
        rows.forEach(this::line);
        line("");
    }

    private void isolation() {
        List<String> rows = new ArrayList<>();
        for (Load agent : displayOrder()) {
            if (!agent.target().equals(BenchResults.AGENT)) {
                continue;
            }
            Load local = find(BenchResults.IN_PROCESS, agent.scenario(), agent.events(), agent.concurrency());
            if (local == null) {
                continue;
            }
            rows.add("| " + agent.scenario() + " | " + agent.concurrency() + " | " + count(local.throughput())
                    + " | " + count(agent.throughput()) + " | " + share(agent.throughput(), local.throughput())
                    + " | " + micros(local.latencyMicros()[0]) + " / " + micros(agent.latencyMicros()[0])
                    + " | " + micros(local.latencyMicros()[2]) + " / " + micros(agent.latencyMicros()[2])
                    + " | " + decimal(local.agentCpuMicros()) + " / " + decimal(agent.agentCpuMicros()) + " |");
        }
        if (rows.isEmpty()) {
            return;
        }
        tableHead("What isolation costs",
                "The same scripts on the same LuaJ sandbox, once in-process (one JVM decodes the event, runs the"
                        + " scripts and answers, no worker hop) and once in the agent (supervisor JVM, pipe, worker"
                        + " JVMs in cgroups). Pairs are in-process / agent.",
                "| Scenario | In flight | In-process decisions/s | Agent decisions/s | Agent / in-process | p50 | p99"
                        + " | CPU µs/decision |",
                "|---|--:|--:|--:|--:|--:|--:|--:|");
        rows.forEach(this::line);
        line("");
    }

    private void engines() {
        if (results.engines().isEmpty()) {
            return;
        }
        Map<String, Engine> references = new LinkedHashMap<>();
        for (Engine e : results.engines()) {
            if (e.engine().equals("luaj") && e.skipped() == null) {
                references.putIfAbsent(e.script(), e);
            }
        }
        tableHead("Script engine alone",
                "One call of a scenario's script in a loop in one process, after a warm-up: the header-only script"
                        + " over a table of the load generator's 20 headers, the body script over a 64 KiB body; CPU"
                        + " nanoseconds per call, and the multiple of LuaJ's (with the workers' flags) for the same"
                        + " script. `luaj-sandbox` is one whole call through the agent's sandbox (`LuaVm.handle`:"
                        + " request object, budgets, verdict), without any I/O; on `10-empty.lua` (a hook that does"
                        + " nothing) it is the sandbox's fixed cost per call; `10-headers-built.lua` (which takes"
                        + " `#request.headers`) costs that plus turning the 20 headers into a Lua table, the"
                        + " event-to-Lua marshalling; `10-headers-table.lua` builds the table and lists it with"
                        + " `pairs`; `10-header-lookup.lua` reads one header by name, which builds no table;"
                        + " `10-plain-pairs.lua` lists an ordinary 20-entry table, LuaJ's own iteration.",
                "| Engine | Version | Script | ns/call | × luaj |",
                "|---|---|---|--:|--:|");
        for (Engine e : results.engines()) {
            if (e.skipped() != null) {
                line("| " + e.engine() + " | " + e.version() + " | " + e.script() + " | skipped: " + e.skipped() + " | |");
            } else {
                Engine reference = references.get(e.script());
                line("| " + e.engine() + " | " + e.version() + " | " + e.script() + " | " + decimal(e.nsPerCall())
                        + " | " + (reference == null ? "" : times(e.nsPerCall(), reference.nsPerCall())) + " |");
            }
        }
        line("");
        marshalling();
    }

    /** The differences of the sandbox rows that separate building the headers' table from listing it. */
    private void marshalling() {
        Map<String, Double> sandbox = new LinkedHashMap<>();
        for (Engine e : results.engines()) {
            if (e.engine().equals("luaj-sandbox") && e.skipped() == null) {
                sandbox.put(e.script(), e.nsPerCall());
            }
        }
        Double empty = sandbox.get("10-empty.lua");
        Double built = sandbox.get("10-headers-built.lua");
        if (empty == null || built == null) {
            return;
        }
        StringBuilder text = new StringBuilder("Event-to-Lua marshalling of the 20 headers (`10-headers-built` less"
                + " `10-empty`): " + decimal(built - empty) + " ns");
        Double listed = sandbox.get("10-headers-table.lua");
        if (listed != null) {
            text.append("; listing the built table with `pairs` (`10-headers-table` less `10-headers-built`): ")
                    .append(decimal(listed - built)).append(" ns");
        }
        Double plain = sandbox.get("10-plain-pairs.lua");
        if (plain != null) {
            text.append("; listing an ordinary 20-entry table (`10-plain-pairs` less `10-empty`): ")
                    .append(decimal(plain - empty)).append(" ns");
        }
        line(text.append('.').toString());
        line("");
    }

    private void memory() {
        Map<String, List<Load>> instances = new LinkedHashMap<>();
        for (Load l : results.loads()) {
            if (l.before() != null && l.after() != null) {
                instances.computeIfAbsent(l.target() + " | " + l.scenario(), k -> new ArrayList<>()).add(l);
            }
        }
        if (instances.isEmpty()) {
            return;
        }
        tableHead("Resident memory",
                "RSS from `/proc` of each target started for the run: idle is before its first event, after is at the"
                        + " end of its last measured window (rows of the same target and scenario share one process"
                        + " tree, in the order above). Children are worker processes (the C relay's child; none for"
                        + " c-echo and in-process).",
                "| Target | Scenario | Main idle → after | Children idle → after | Total idle → after | Growth | Peak"
                        + " total | Children seen |",
                "|---|---|--:|--:|--:|--:|--:|--:|");
        instances.forEach((key, runs) -> {
            Rss idle = runs.get(0).before();
            Rss after = runs.get(runs.size() - 1).after();
            long peak = 0;
            int seen = 0;
            for (Load l : runs) {
                peak = Math.max(peak, l.peakTotalKb());
                seen = Math.max(seen, l.childrenSeen());
            }
            long growth = after.totalKb() - idle.totalKb();
            line("| " + key + " | " + mib(idle.rootKb()) + " → " + mib(after.rootKb()) + " | " + children(idle)
                    + " → " + children(after) + " | " + mib(idle.totalKb()) + " → " + mib(after.totalKb()) + " | "
                    + (growth >= 0 ? "+" : "−") + mib(Math.abs(growth)) + " | " + mib(Math.max(peak, after.totalKb()))
                    + " | " + seen + " |");
        });
        line("");
    }

    private void starts() {
        if (workerStarts.isEmpty()) {
            return;
        }
        tableHead("Worker starts",
                "From a worker's spawn to its `WorkerReady`, from each agent's log: the workers started with the agent"
                        + " (together, before any load) and those started later, replacements started while the agent"
                        + " served the load.",
                "| Scenario | With the agent | Later: starts | min | median | max |",
                "|---|---|--:|--:|--:|--:|");
        for (WorkerStarts s : workerStarts) {
            List<Long> later = s.laterMillis().stream().sorted().toList();
            String initial = s.initialMillis().isEmpty() ? "-"
                    : String.join(", ", s.initialMillis().stream().map(ms -> ms + " ms").toList());
            line("| " + s.scenario() + " | " + initial + " | " + later.size() + " | " + nth(later, 0) + " | "
                    + nth(later, later.size() / 2) + " | " + nth(later, later.size() - 1) + " |");
        }
        line("");
    }

    /** {@code sorted[index]} in milliseconds, or {@code -} when there is none. */
    private static String nth(List<Long> sorted, int index) {
        return sorted.isEmpty() ? "-" : sorted.get(index) + " ms";
    }

    private void warnings() {
        List<String> warnings = new ArrayList<>();
        for (Load l : results.loads()) {
            String row = l.target() + " " + l.scenario() + " at " + l.concurrency() + " in flight";
            if (l.errors() > 0) {
                warnings.add(row + ": " + l.errors() + " error(s) (answers with an unknown id, or a lost connection)");
            }
            if (l.failureMode() > 0) {
                List<String> causes = new ArrayList<>();
                l.failureCauses().forEach((cause, n) -> causes.add(cause + " " + n));
                warnings.add(row + ": " + l.failureMode() + " failure-mode answer(s)"
                        + (causes.isEmpty() ? "" : " (" + String.join(", ", causes) + ")")
                        + ": scripts did not decide, so part of this row measures the failure path");
            }
            if (l.answered() == 0) {
                warnings.add(row + ": no answer at all");
            }
        }
        for (Engine e : results.engines()) {
            if (e.failures() > 0) {
                warnings.add("engine " + e.engine() + ": " + e.failures() + " of " + e.calls() + " calls failed (the"
                        + " sandbox's time budget: the thread was descheduled for longer than it allows)");
            }
        }
        for (Load l : results.loads()) {
            if (!isFloor(l) && floor(BenchResults.C_RELAY, l) == null) {
                warnings.add(l.target() + " " + l.scenario() + " at " + l.concurrency()
                        + " in flight: no C relay floor with the same event type and concurrency");
            }
        }
        for (AgentLogWarnings log : logWarnings) {
            if (!log.lines().isEmpty()) {
                List<String> shown = log.lines().stream().distinct().limit(LOG_WARNINGS_SHOWN)
                        .map(w -> "`" + (w.length() > LOG_WARNING_CHARS ? w.substring(0, LOG_WARNING_CHARS) + "…" : w) + "`").toList();
                warnings.add("agent " + log.scenario() + ": " + log.lines().size() + " warning(s) in its log: "
                        + String.join("; ", shown) + (log.lines().size() > shown.size() ? "; …" : ""));
            }
        }
        line("## Warnings");
        line("");
        if (warnings.isEmpty()) {
            line("None: every event was answered, by the scripts' own decisions, and no agent logged a warning.");
        } else {
            warnings.forEach(w -> line("- " + w));
        }
        line("");
    }

    // ------------------------------------------------------------------ lookups

    /**
     * The runs grouped by target and scenario in the order they ran, and within a group by event
     * type and concurrency (a runner may measure 16 in flight before 1, to warm up JIT compilers).
     */
    private List<Load> displayOrder() {
        Map<String, List<Load>> groups = new LinkedHashMap<>();
        for (Load l : results.loads()) {
            groups.computeIfAbsent(l.target() + "\u0000" + l.scenario(), k -> new ArrayList<>()).add(l);
        }
        List<Load> ordered = new ArrayList<>();
        for (List<Load> group : groups.values()) {
            group.sort(Comparator.comparing(Load::events).reversed().thenComparingInt(Load::concurrency));
            ordered.addAll(group);
        }
        return ordered;
    }

    private static boolean isFloor(Load l) {
        return l.target().equals(BenchResults.C_ECHO) || l.target().equals(BenchResults.C_RELAY);
    }

    private Load floor(String target, Load like) {
        for (Load l : results.loads()) {
            if (l.target().equals(target) && l.events().equals(like.events()) && l.concurrency() == like.concurrency()) {
                return l;
            }
        }
        return null;
    }

    private Load find(String target, String scenario, String events, int concurrency) {
        for (Load l : results.loads()) {
            if (l.target().equals(target) && l.scenario().equals(scenario) && l.events().equals(events)
                    && l.concurrency() == concurrency) {
                return l;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ figures

    private static String shortEvents(String events) {
        return switch (events) {
            case "RequestHeaders" -> "headers";
            case "RequestBodyChunk" -> "body";
            default -> events;
        };
    }

    private static String decisions(Load l) {
        long total = l.allow() + l.block() + l.other() + l.failureMode();
        if (total == 0) {
            return "-";
        }
        List<String> parts = new ArrayList<>();
        part(parts, l.allow(), total, "allow");
        part(parts, l.block(), total, "block");
        part(parts, l.other(), total, "other");
        part(parts, l.failureMode(), total, "failure-mode");
        return String.join(", ", parts);
    }

    private static void part(List<String> parts, long n, long total, String name) {
        if (n > 0) {
            double percent = 100.0 * n / total;
            parts.add(percent < 0.5 ? "<1% " + name : String.format(Locale.ROOT, "%.0f%% %s", percent, name));
        }
    }

    /** A rate with thousands separators: {@code 11,736}. */
    static String count(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%,.0f", value);
    }

    /** Microseconds below 1 ms, milliseconds above: {@code 246 µs}, {@code 12.3 ms}. */
    static String micros(double micros) {
        if (Double.isNaN(micros)) {
            return "-";
        }
        return micros < 999.5 ? String.format(Locale.ROOT, "%.0f µs", micros)
                : String.format(Locale.ROOT, "%.1f ms", micros / 1000);
    }

    static String decimal(double value) {
        if (Double.isNaN(value)) {
            return "-";
        }
        return value < 100 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%,.0f", value);
    }

    /** {@code value / floor} with two decimals: {@code 0.25}. */
    static String share(double value, double floor) {
        return Double.isNaN(value) || Double.isNaN(floor) || floor <= 0 ? "-"
                : String.format(Locale.ROOT, "%.2f", value / floor);
    }

    /** {@code value / reference} as a multiple: {@code 4.1x}; {@code 0.25x} below 1, {@code 0.009x} below 0.1. */
    static String times(double value, double reference) {
        if (Double.isNaN(value) || Double.isNaN(reference) || reference <= 0) {
            return "-";
        }
        double ratio = value / reference;
        String format = ratio >= 0.995 ? "%.1fx" : ratio >= 0.0995 ? "%.2fx" : "%.3fx";
        return String.format(Locale.ROOT, format, ratio);
    }

    static String mib(long kb) {
        return String.format(Locale.ROOT, "%.1f MiB", kb / 1024.0);
    }

    private static String children(Rss rss) {
        if (rss.childrenKb().isEmpty()) {
            return "-";
        }
        List<String> each = new ArrayList<>();
        for (long kb : rss.childrenKb()) {
            each.add(String.format(Locale.ROOT, "%.1f", kb / 1024.0));
        }
        return String.join(" + ", each) + " MiB";
    }

    /** A section that holds a table: its title, what it shows, the table's header and alignment rows. */
    private void tableHead(String title, String description, String header, String alignment) {
        line("## " + title);
        line("");
        line(description);
        line("");
        line(header);
        line(alignment);
    }

    private void line(String text) {
        md.append(text).append('\n');
    }
}
