package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.admin.StatusReport;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Planned recycling under load with real worker JVMs: workers.max-executions retires a worker
 * once its replacement is ready, and no event is lost or answered with the failure mode.
 */
class RecyclingIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern RETIRED = Pattern.compile("worker-(\\d+) - retired after (\\d+) executions");
    private static final Pattern DUE = Pattern.compile(
            "worker-(\\d+) - reached (\\d+) executions \\(workers.max-executions 50, (\\d+) after jitter\\), starting its replacement");
    private static final Pattern READY = Pattern.compile("worker-(\\d+) - ready \\(pid \\d+, .*, (\\d+) ms\\)");
    /**
     * Budgets far above what the script needs: this build machine is shared and a JVM start
     * competes for its two CPUs with the serving worker. The tests are about recycling, not about
     * calls overrunning 100 ms while the CPU is taken.
     */
    private static final String ROOMY_BUDGETS = "resource-limits { max-execution-time \"2s\" }\n";

    @TempDir
    Path dir;

    private static List<FakeProxy> connect(AgentHarness agent, int connections) throws Exception {
        List<FakeProxy> proxies = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            proxies.add(agent.connect());
        }
        return proxies;
    }

    /** Every answer is the seed script's own: allow, with its header, no failure tag. */
    private static void assertScriptAnsweredEach(List<PacedLoad.Answer> answers) {
        for (PacedLoad.Answer answer : answers) {
            JsonNode response = answer.response();
            assertEquals(answer.id(), response.at("/audit/custom/correlation_id").asText());
            assertEquals(List.of(), PacedLoad.failureTags(response), answer.id() + ": " + response);
            assertEquals("allow", response.get("decision").asText(), answer.id() + ": " + response);
            assertEquals("my-script", response.at("/request_headers/0/add/value").asText(), answer.id());
        }
    }

    @Test
    void maxExecutions50Over500PipelinedEventsReplacesTheWorkerAboutTenTimesAndLosesNone() throws Exception {
        try (LogTap log = new LogTap();
             AgentHarness agent = new AgentHarness(dir).scriptResource("seed-example.lua")) {
            Supervisor supervisor = agent.start("timeout \"2s\"",
                    "vm-pool { size 4 }\nworkers { count 1; max-executions 50 }\n" + ROOMY_BUDGETS);
            List<FakeProxy> proxies = connect(agent, 4);

            // 20 events a second, up to 4 in flight per connection: slow enough that a
            // replacement (a JVM start) overlaps few events of the worker it replaces
            int perSecond = 20;
            int window = 4 * 4;
            List<PacedLoad.Answer> answers = PacedLoad.run(proxies, "r", 500, perSecond, 4, WAIT);

            assertEquals(500, answers.size());
            assertScriptAnsweredEach(answers);
            for (FakeProxy proxy : proxies) {
                assertTrue(proxy.violations().isEmpty(), proxy.violations().toString());
                assertTrue(proxy.unmatchedResponses().isEmpty(), proxy.unmatchedResponses().toString());
            }
            // the last replacement may still be starting; let it take over, then read the log
            Await.until("one ready worker and none retiring", WAIT, () -> {
                var workers = supervisor.pool().snapshot();
                return workers.size() == 1 && workers.getFirst().state() == WorkerState.READY;
            });

            List<String> due = log.matching(DUE.pattern());
            List<String> retired = log.matching(RETIRED.pattern());
            Map<Integer, Long> startMillis = new HashMap<>();
            for (String line : log.matching(READY.pattern())) {
                Matcher m = READY.matcher(line);
                assertTrue(m.find());
                startMillis.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
            }
            long executionsOfRetired = 0;
            for (String line : retired) {
                Matcher m = RETIRED.matcher(line);
                assertTrue(m.find());
                int id = Integer.parseInt(m.group(1));
                long executions = Long.parseLong(m.group(2));
                executionsOfRetired += executions;
                // a worker retires after at least its own max-executions (50, less up to 2.5%
                // jitter), and serves on only while its replacement (the next id) starts: at
                // most what arrives in that time (plus a second's slack) and the events in flight
                long replacementStart = startMillis.getOrDefault(id + 1, 0L);
                long bound = 50 + (replacementStart + 1000) * perSecond / 1000 + window;
                assertTrue(executions >= 49 && executions <= bound,
                        line + " (replacement started in " + replacementStart + " ms: at most " + bound + ")");
            }
            long executionsOfCurrent = supervisor.pool().snapshot().getFirst().executions();
            System.out.printf("RecyclingIT: 500 events at %d/s, %d replacements started, %d workers retired after %s"
                    + " executions, the current one has %d; worker starts (ms): %s%n", perSecond, due.size(),
                    retired.size(), retired.stream().map(l -> {
                        Matcher m = RETIRED.matcher(l);
                        return m.find() ? m.group(2) : "?";
                    }).toList(), executionsOfCurrent, startMillis.values());

            // each call ran on exactly one worker
            assertEquals(500, executionsOfRetired + executionsOfCurrent);
            // 500 / 50 = 10 if each worker served exactly its max-executions; a worker keeps
            // serving while its replacement starts (bounded above), so there may be a few fewer
            assertTrue(due.size() >= 4 && due.size() <= 10, "replacements: " + due);
            assertEquals(due.size(), retired.size(), "every replacement retired the worker it replaced");
            StatusReport status = supervisor.status();
            assertEquals(0, status.workers().getFirst().restarts(), "no unplanned replacement");
            assertEquals(0, status.agent().crashLoopDeaths());
            assertTrue(status.totals().failures().values().stream().allMatch(n -> n == 0), status.totals().failures().toString());
            assertEquals(Map.of("allow", 500L, "block", 0L, "redirect", 0L), status.totals().decisions());
        }
    }

    /**
     * Measures, without asserting it, the longest time between two answers while workers recycle
     * under a steady load, next to the same load without recycling.
     */
    @Test
    void longestGapBetweenAnswersWhileWorkersRecycleUnderSteadyLoad() throws Exception {
        PacedLoad.Figures steady;
        try (AgentHarness agent = new AgentHarness(dir.resolve("steady")).scriptResource("seed-example.lua")) {
            agent.start("timeout \"2s\"", "workers { max-executions 1000000 }\n" + ROOMY_BUDGETS);
            List<FakeProxy> proxies = connect(agent, 4);
            PacedLoad.run(proxies, "warm", 400, 200, 4, WAIT);
            List<PacedLoad.Answer> answers = PacedLoad.run(proxies, "s", 3000, 200, 4, WAIT);
            assertScriptAnsweredEach(answers);
            steady = PacedLoad.figures(answers);
        }
        PacedLoad.Figures recycling;
        int replacements;
        try (LogTap log = new LogTap();
             AgentHarness agent = new AgentHarness(dir.resolve("recycling")).scriptResource("seed-example.lua")) {
            agent.start("timeout \"2s\"", "workers { max-executions 300 }\n" + ROOMY_BUDGETS);
            List<FakeProxy> proxies = connect(agent, 4);
            PacedLoad.run(proxies, "warm", 400, 200, 4, WAIT);
            int before = log.matching("starting its replacement").size();
            List<PacedLoad.Answer> answers = PacedLoad.run(proxies, "g", 3000, 200, 4, WAIT);
            replacements = log.matching("starting its replacement").size() - before;
            assertScriptAnsweredEach(answers);
            recycling = PacedLoad.figures(answers);
        }
        System.out.println("RecyclingIT: 2 workers x 4 Lua VMs, 200 events/s on 4 connections, seed-example.lua");
        System.out.println("RecyclingIT:   no recycling:                    " + steady);
        System.out.println("RecyclingIT:   workers.max-executions 300 (" + replacements + " replacements): " + recycling);
        assertTrue(replacements >= 5, "workers recycled during the measurement: " + replacements);
    }
}
