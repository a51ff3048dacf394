package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.admin.StatusReport;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vm-pool.max-executions with a real worker JVM: each Lua VM is replaced inside the worker by a
 * fresh one, so a script's globals start over, while the worker process itself keeps serving.
 */
class VmRenewalIT {
    private static final String COUNTER = """
            -- name: counter
            function on_request_headers(request)
                calls = (calls or 0) + 1
                request:add_header("X-Calls", tostring(calls))
            end
            """;

    @TempDir
    Path dir;

    @Test
    void everyLuaVmStartsOverAfterMaxExecutionsAndTheWorkerStays() throws Exception {
        int events = 400;
        int maxExecutions = 20; // less up to 2.5% jitter: exactly 20
        try (LogTap log = new LogTap(); AgentHarness agent = new AgentHarness(dir).script("counter.lua", COUNTER)) {
            Supervisor supervisor = agent.start("vm-pool { size 2; max-executions " + maxExecutions + " }\n"
                    + "workers { count 1 }\nresource-limits { max-execution-time \"2s\" }\n");
            long pid = agent.readyWorkerPids().getFirst();
            FakeProxy proxy = agent.connect();

            List<PacedLoad.Answer> answers = PacedLoad.run(List.of(proxy), "v", events, 400, 4, Duration.ofSeconds(60));

            Map<Integer, Integer> seen = new TreeMap<>();
            for (PacedLoad.Answer answer : answers) {
                assertEquals(List.of(), PacedLoad.failureTags(answer.response()), answer.response().toString());
                int calls = Integer.parseInt(answer.response().at("/request_headers/0/add/value").asText());
                assertTrue(calls >= 1 && calls <= maxExecutions, "a VM ran " + calls + " calls without renewal");
                seen.merge(calls, 1, Integer::sum);
            }
            // Each finished VM generation answered "20" once; two VMs leave at most one unfinished each.
            int finished = seen.getOrDefault(maxExecutions, 0);
            assertTrue(finished >= (events - 2 * (maxExecutions - 1)) / maxExecutions, "finished generations: " + seen);
            System.out.println("VmRenewalIT: " + events + " events, VM calls counted per generation: " + seen);

            assertEquals(List.of(pid), agent.readyWorkerPids(), "the worker process was not replaced");
            assertEquals(List.of(), log.matching("starting its replacement"));
            assertEquals(List.of(), log.matching("not renewed"));
            StatusReport status = supervisor.status();
            assertEquals(0, status.workers().getFirst().restarts());
            assertEquals(events, status.workers().getFirst().executions());
        }
    }
}
