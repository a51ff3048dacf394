package io.zentinel.sentinel.lua.supervisor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchReportTest {
    private static final MachineInfo MACHINE = new MachineInfo(2, "Test CPU @ 3.0GHz", "6.1.0-test", "Debian GNU/Linux 12",
            "4000000 kB", "25.0.3+9-LTS (Eclipse Adoptium, OpenJDK 64-Bit Server VM)", "0.10 0.20 0.30");

    /** A result of {@code answered} events in 10 s, p50 {@code p50Micros}, {@code cpuMicros} of agent CPU each. */
    private static String run(String target, String scenario, Workload.Kind kind, int concurrency, long answered,
            long p50Micros, double cpuMicros, long failureMode, AgentProcesses.Memory before, AgentProcesses.Memory after) {
        Workload workload = kind == Workload.Kind.REQUEST_BODY
                ? new Workload(kind, List.of(new Workload.Request("POST", "/upload")), 20, 65536)
                : Workload.headers("GET", "/api/users?id=42", 20);
        LoadGenerator.Plan plan = new LoadGenerator.Plan(Path.of("/tmp/t.sock"), 4, concurrency, Duration.ofSeconds(5),
                Duration.ofSeconds(10), workload);
        long p = p50Micros * 1000;
        LoadResult result = new LoadResult(plan, answered, 10_000_000_000L, new long[] {p, 2 * p, 4 * p, 8 * p, 16 * p}, 0,
                new LoadResult.Answers(answered - failureMode, 0, 0, failureMode,
                        failureMode == 0 ? Map.of() : Map.of("time-limit", failureMode - 1, "overloaded", 1L)), 4242,
                new AgentProcesses.Cpu(cpuMicros * answered / 1e6, 3, true), 1.0,
                new LoadResult.MemoryFigures(before, after, after, after.totalKb() + 1024, after.childrenKb().size()));
        return result.toJson(Map.of("target", target, "scenario", scenario));
    }

    private static AgentProcesses.Memory rss(long rootKb, Long... childrenKb) {
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < childrenKb.length; i++) {
            pids.add(100L + i);
        }
        return new AgentProcesses.Memory(rootKb, pids, List.of(childrenKb), true);
    }

    private static final AgentProcesses.Memory SMALL = rss(1024);

    private static List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add("{\"kind\":\"engine\",\"engine\":\"luaj\",\"version\":\"LuaJ 3.0.1\",\"script\":\"10-header-check.lua\",\"ns_per_call\":4000.0,\"calls\":1000}");
        lines.add("{\"kind\":\"engine\",\"engine\":\"lua5.4\",\"version\":\"Lua 5.4.4\",\"script\":\"10-header-check.lua\",\"ns_per_call\":1000.0,\"calls\":1000}");
        lines.add("{\"kind\":\"engine\",\"engine\":\"luaj-sandbox\",\"version\":\"LuaJ 3.0.1\",\"script\":\"10-header-check.lua\",\"ns_per_call\":19000.0,\"calls\":100000,\"failures\":2}");
        lines.add("{\"kind\":\"engine\",\"engine\":\"luajit\",\"script\":\"10-header-check.lua\",\"skipped\":\"not installed\"}");
        lines.add("{\"kind\":\"engine\",\"engine\":\"luaj\",\"version\":\"LuaJ 3.0.1\",\"script\":\"10-body-scan.lua\",\"ns_per_call\":750000.0,\"calls\":100}");
        lines.add("{\"kind\":\"engine\",\"engine\":\"lua5.4\",\"version\":\"Lua 5.4.4\",\"script\":\"10-body-scan.lua\",\"ns_per_call\":7500.0,\"calls\":100}");
        lines.add("a log line that is not JSON");
        lines.add(run("c-echo", "floor", Workload.Kind.REQUEST_HEADERS, 16, 800_000, 150, 2.5, 0, SMALL, SMALL));
        lines.add(run("c-relay", "floor", Workload.Kind.REQUEST_HEADERS, 16, 600_000, 200, 10, 0, rss(2048, 800L, 800L),
                rss(2048, 800L, 800L)));
        lines.add(run("in-process", "header-only", Workload.Kind.REQUEST_HEADERS, 16, 150_000, 600, 50, 0,
                rss(75 * 1024), rss(95 * 1024)));
        lines.add(run("agent", "header-only", Workload.Kind.REQUEST_HEADERS, 16, 60_000, 2000, 200, 0,
                rss(100 * 1024, 60 * 1024L, 60 * 1024L), rss(110 * 1024, 62 * 1024L, 61 * 1024L)));
        lines.add(run("agent", "body", Workload.Kind.REQUEST_BODY, 16, 20_000, 3000, 300, 5, SMALL, SMALL));
        return lines;
    }

    private static String report() {
        return new BenchReport(BenchResults.parse(lines()), MACHINE, "Benchmark", List.of("quick run")).markdown();
    }

    @Test
    void readsBackWhatTheLoadGeneratorWrote() {
        BenchResults results = BenchResults.parse(lines());

        assertEquals(5, results.loads().size());
        assertEquals(6, results.engines().size());
        BenchResults.Load agent = results.loads().get(3);
        assertEquals("agent", agent.target());
        assertEquals("header-only", agent.scenario());
        assertEquals("RequestHeaders", agent.events());
        assertEquals(16, agent.concurrency());
        assertEquals(6000.0, agent.throughput(), 1e-6);
        assertEquals(2000.0, agent.latencyMicros()[0], 1e-6);
        assertEquals(200.0, agent.agentCpuMicros(), 1e-6);
        assertEquals(List.of(60 * 1024L, 60 * 1024L), agent.before().childrenKb());
        assertEquals(233 * 1024, agent.after().totalKb());
        assertEquals(2, results.engines().get(2).failures());
        assertEquals("not installed", results.engines().get(3).skipped());
    }

    @Test
    void rejectsALineThatLooksLikeJsonButIsNot() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchResults.parse(List.of("{\"kind\":\"load\",")));
        assertTrue(e.getMessage().startsWith("results line 1 is not valid JSON"), e.getMessage());
    }

    @Test
    void statesTheMachineAndTheNotes() {
        String md = report();

        assertTrue(md.startsWith("# Benchmark\n\n- quick run\n"), md);
        assertTrue(md.contains("- 2 CPU(s): Test CPU @ 3.0GHz\n"), md);
        assertTrue(md.contains("- OS: Debian GNU/Linux 12, kernel 6.1.0-test\n"), md);
        assertTrue(md.contains("- Java: 25.0.3+9-LTS (Eclipse Adoptium, OpenJDK 64-Bit Server VM)\n"), md);
    }

    @Test
    void listsEveryRunWithItsPercentiles() {
        String md = report();

        assertTrue(md.contains("| agent | header-only | headers | 16 | 6,000 | 2.0 ms | 4.0 ms | 8.0 ms | 16.0 ms"
                + " | 32.0 ms | 200 | 100% allow | 16.7 |\n"), md);
        assertTrue(md.contains("| c-echo | floor | headers | 16 | 80,000 | 150 µs | 300 µs | 600 µs | 1.2 ms | 2.4 ms"
                + " | 2.5 | 100% allow | 1.3 |\n"), md);
    }

    @Test
    void listsTheRunsOfOneTargetByEventTypeAndConcurrencyWhateverOrderTheyRanIn() {
        List<String> lines = List.of(
                run("c-echo", "floor", Workload.Kind.REQUEST_HEADERS, 16, 1000, 100, 1, 0, SMALL, SMALL),
                run("c-echo", "floor", Workload.Kind.REQUEST_HEADERS, 1, 1000, 100, 1, 0, SMALL, SMALL),
                run("c-echo", "floor", Workload.Kind.REQUEST_BODY, 16, 1000, 100, 1, 0, SMALL, SMALL),
                run("c-echo", "floor", Workload.Kind.REQUEST_HEADERS, 64, 1000, 100, 1, 0, SMALL, SMALL));

        String md = new BenchReport(BenchResults.parse(lines), MACHINE, "B", List.of()).markdown();

        int one = md.indexOf("| c-echo | floor | headers | 1 |");
        int sixteen = md.indexOf("| c-echo | floor | headers | 16 |");
        int sixtyFour = md.indexOf("| c-echo | floor | headers | 64 |");
        int body = md.indexOf("| c-echo | floor | body | 16 |");
        assertTrue(one > 0 && one < sixteen && sixteen < sixtyFour && sixtyFour < body, md);
    }

    @Test
    void comparesEachRunWithTheFloorsOfItsEventTypeAndConcurrency() {
        String md = report();

        // agent 6,000/s against echo 80,000/s and relay 60,000/s; p50 2 ms against 150 and 200 us
        assertTrue(md.contains("| agent | header-only | headers | 16 | 0.08 | 0.10 | 13.3x | 10.0x | 10.0x | 20.0x |\n"), md);
        assertTrue(md.contains("| c-relay | floor | headers | 16 | 0.75 | 1.00 | 1.3x | 1.0x | 1.0x | 1.0x |\n"), md);
        // no body floor in the results: no ratio, and a warning
        assertFalse(md.contains("| agent | body | body | 16 | 0"), md);
        assertTrue(md.contains("- agent body at 16 in flight: no C relay floor with the same event type and concurrency\n"), md);
    }

    @Test
    void showsWhatIsolationCosts() {
        String md = report();

        assertTrue(md.contains("| header-only | 16 | 15,000 | 6,000 | 0.40 | 600 µs / 2.0 ms | 2.4 ms / 8.0 ms"
                + " | 50.0 / 200 |\n"), md);
    }

    @Test
    void comparesTheEnginesWithLuajOnTheSameScript() {
        String md = report();

        assertTrue(md.contains("| lua5.4 | Lua 5.4.4 | 10-body-scan.lua | 7,500 | 0.010x |\n"), md);
        assertTrue(md.contains("| luaj | LuaJ 3.0.1 | 10-header-check.lua | 4,000 | 1.0x |\n"), md);
        assertTrue(md.contains("| lua5.4 | Lua 5.4.4 | 10-header-check.lua | 1,000 | 0.25x |\n"), md);
        assertTrue(md.contains("| luajit |  | 10-header-check.lua | skipped: not installed | |\n"), md);
    }

    private static String sandboxRow(String script, double nsPerCall) {
        return "{\"kind\":\"engine\",\"engine\":\"luaj-sandbox\",\"version\":\"LuaJ 3.0.1\",\"script\":\""
                + script + "\",\"ns_per_call\":" + nsPerCall + ",\"calls\":1000}";
    }

    @Test
    void separatesBuildingTheHeadersTableFromListingIt() {
        List<String> lines = lines();
        lines.add(sandboxRow("10-empty.lua", 1400));
        lines.add(sandboxRow("10-headers-built.lua", 2500));
        lines.add(sandboxRow("10-headers-table.lua", 3900));
        lines.add(sandboxRow("10-plain-pairs.lua", 2300));
        String md = new BenchReport(BenchResults.parse(lines), MACHINE, "Benchmark", List.of()).markdown();

        assertTrue(md.contains("Event-to-Lua marshalling of the 20 headers (`10-headers-built` less `10-empty`): 1,100 ns;"
                + " listing the built table with `pairs` (`10-headers-table` less `10-headers-built`): 1,400 ns;"
                + " listing an ordinary 20-entry table (`10-plain-pairs` less `10-empty`): 900 ns.\n"), md);
        assertFalse(report().contains("Event-to-Lua marshalling of"), "no sentence without the rows it needs");
    }

    @Test
    void reportsResidentMemoryIdleAfterLoadAndItsGrowth() {
        String md = report();

        assertTrue(md.contains("| agent | header-only | 100.0 MiB → 110.0 MiB | 60.0 + 60.0 MiB → 62.0 + 61.0 MiB"
                + " | 220.0 MiB → 233.0 MiB | +13.0 MiB | 234.0 MiB | 2 |\n"), md);
        assertTrue(md.contains("| in-process | header-only | 75.0 MiB → 95.0 MiB | - → - | 75.0 MiB → 95.0 MiB"
                + " | +20.0 MiB | 96.0 MiB | 0 |\n"), md);
    }

    @Test
    void warnsWhenScriptsFailedDuringARun() {
        String md = report();

        assertTrue(md.contains(" | 100% allow, <1% failure-mode | "), md);
        assertTrue(md.contains("- engine luaj-sandbox: 2 of 100000 calls failed (the sandbox's time budget: the thread"
                + " was descheduled for longer than it allows)\n"), md);
        assertTrue(md.contains("- agent body at 16 in flight: 5 failure-mode answer(s) (overloaded 1, time-limit 4): scripts"
                + " did not decide, so part of this row measures the failure path\n"), md);
    }

    @Test
    void saysSoWhenThereIsNothingToWarnAbout() {
        List<String> clean = List.of(
                run("c-relay", "floor", Workload.Kind.REQUEST_HEADERS, 1, 1000, 30, 30, 0, SMALL, SMALL),
                run("agent", "header-only", Workload.Kind.REQUEST_HEADERS, 1, 1000, 300, 200, 0, SMALL, SMALL));

        String md = new BenchReport(BenchResults.parse(clean), MACHINE, "B", List.of()).markdown();

        assertTrue(md.contains("## Warnings\n\nNone: every event was answered, by the scripts' own decisions, and no "
                + "agent logged a warning.\n"), md);
        String quietLogs = new BenchReport(BenchResults.parse(clean), MACHINE, "B", List.of(), List.of(),
                List.of(new AgentLogWarnings("header-only", List.of()))).markdown();
        assertTrue(quietLogs.contains("None: every event was answered"), quietLogs);
    }

    @Test
    void reportsWhatAnAgentLoggedAsWarningsWithUpToThreeDistinctLines() {
        List<String> clean = List.of(
                run("c-relay", "floor", Workload.Kind.REQUEST_HEADERS, 1, 1000, 30, 30, 0, SMALL, SMALL),
                run("agent", "header-only", Workload.Kind.REQUEST_HEADERS, 1, 1000, 300, 200, 0, SMALL, SMALL));
        AgentLogWarnings body = new AgentLogWarnings("body", List.of(
                "[WARN] ProxyConnection - proxy-conn-1 - read failed",
                "[WARN] ProxyConnection - proxy-conn-1 - read failed",
                "[ERROR] WorkerHandle - worker-2 - killed",
                "[WARN] WorkerPool - pool - slow",
                "[WARN] WorkerPool - pool - slower"));

        String md = new BenchReport(BenchResults.parse(clean), MACHINE, "B", List.of(), List.of(),
                List.of(new AgentLogWarnings("header-only", List.of()), body)).markdown();

        assertTrue(md.contains("## Warnings\n\n- agent body: 5 warning(s) in its log: "
                + "`[WARN] ProxyConnection - proxy-conn-1 - read failed`; `[ERROR] WorkerHandle - worker-2 - killed`; "
                + "`[WARN] WorkerPool - pool - slow`; …\n"), md);
        assertFalse(md.contains("agent header-only:"), md);
    }

    @Test
    void reportsTheWorkersStartTimesWithTheAgentAndLater() {
        List<WorkerStarts> starts = List.of(new WorkerStarts("header-only", List.of(437L, 440L), List.of()),
                new WorkerStarts("recycle-workers", List.of(450L, 455L), List.of(900L, 300L, 600L)));

        String md = new BenchReport(BenchResults.parse(lines()), MACHINE, "B", List.of(), starts, List.of()).markdown();

        assertTrue(md.contains("| header-only | 437 ms, 440 ms | 0 | - | - | - |\n"), md);
        assertTrue(md.contains("| recycle-workers | 450 ms, 455 ms | 3 | 300 ms | 600 ms | 900 ms |\n"), md);
        assertFalse(report().contains("## Worker starts"), "no section without agent logs");
    }

    @Test
    void formatsFigures() {
        assertEquals("11,736", BenchReport.count(11735.6));
        assertEquals("246 µs", BenchReport.micros(246.2));
        assertEquals("12.3 ms", BenchReport.micros(12_345));
        assertEquals("0.25", BenchReport.share(25, 100));
        assertEquals("-", BenchReport.share(25, 0));
        assertEquals("4.1x", BenchReport.times(41, 10));
        assertEquals("0.25x", BenchReport.times(1, 4));
        assertEquals("0.001x", BenchReport.times(737, 713_781));
        assertEquals("1.0x", BenchReport.times(0.999, 1));
        assertEquals("1.5 MiB", BenchReport.mib(1536));
    }
}
