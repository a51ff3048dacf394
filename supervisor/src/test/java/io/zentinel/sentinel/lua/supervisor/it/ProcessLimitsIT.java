package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.admin.StatusReport;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerStatus;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * workers.nice and workers.cpu-seconds on real worker JVMs: the running worker carries both, and
 * a worker that spins through its CPU time is ended by SIGXCPU, reported as a breach and
 * replaced, while the event it was running gets the failure mode.
 */
class ProcessLimitsIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final long CLOCK_TICKS = 100;

    /** Spins on /spin until something outside Lua stops it (the budgets below are out of reach). */
    private static final String SPIN = """
            -- name: spin
            -- hook: request_headers
            function on_request_headers(request)
                if request:get_path() == "/spin" then
                    while true do end
                end
                sentinel.set_decision("allow")
            end
            """;

    @TempDir
    Path dir;

    /** utime + stime of a live process, in seconds (/proc/<pid>/stat, USER_HZ 100 on Linux). */
    private static double cpuSeconds(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLOCK_TICKS;
    }

    private static String[] statFields(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    @Test
    void aWorkerThatUsesUpItsCpuSecondsIsKilledBySigxcpuAndReplaced() throws Exception {
        try (LogTap log = new LogTap(); AgentHarness agent = new AgentHarness(dir).script("spin.lua", SPIN)) {
            Supervisor supervisor = agent.start("timeout \"30s\"", """
                    vm-pool { size 1 }
                    resource-limits { max-execution-time "30s"; max-instructions 100000000000 }
                    workers { count 1; nice 11; cpu-seconds 2 }
                    safety { fail-open true }
                    """);
            Await.until("a ready worker", WAIT, () -> agent.readyWorkerPids().size() == 1);
            WorkerStatus first = supervisor.pool().snapshot().getFirst();
            double startCpu = cpuSeconds(first.pid());

            // the JVM itself, not a shell in front of it, carries both limits
            assertEquals("java", Files.readString(Path.of("/proc", Long.toString(first.pid()), "comm")).strip());
            assertEquals("11", statFields(first.pid())[19 - 3], "niceness");
            assertTrue(Files.readAllLines(Path.of("/proc", Long.toString(first.pid()), "limits")).stream()
                    .anyMatch(line -> line.matches("Max cpu time\\s+2\\s+3\\s+seconds\\s*")), "RLIMIT_CPU 2 s soft, 3 s hard");

            FakeProxy proxy = agent.connect();
            long sent = System.nanoTime();
            JsonNode spun = proxy.request(FakeProxy.requestHeaders("spin", "GET", "/spin",
                    java.util.Map.of("host", List.of("example.com")))).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            long killedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);

            assertEquals("allow", spun.get("decision").asText(), spun.toString());
            assertEquals(List.of("lua-agent:fail-open", "lua-agent:worker-killed"), PacedLoad.failureTags(spun));
            String expected = "worker-" + first.id()
                    + " - killed: used up workers.cpu-seconds (2 s of CPU) (CPU time limit, SIGXCPU (exit 152))";
            Await.until("the replacement", WAIT, () -> supervisor.pool().snapshot().stream()
                    .anyMatch(w -> w.id() != first.id() && w.state() == WorkerState.READY));
            WorkerStatus replacement = supervisor.pool().snapshot().getFirst();
            assertEquals(expected, replacement.lastExit());
            assertEquals(1, replacement.restarts());
            assertEquals(1, log.matching("WorkerHandle - " + java.util.regex.Pattern.quote(expected)).size(),
                    log.matching("worker-" + first.id() + " - ").toString());
            StatusReport status = supervisor.status();
            assertEquals(expected, status.workers().getFirst().lastExit());
            assertEquals(1L, status.totals().failures().get("worker-killed"));
            System.out.printf("ProcessLimitsIT: the worker had used %.2f s of CPU when it reported ready; spinning,"
                    + " it was killed %d ms after the event was sent; the replacement used %.2f s to get ready%n",
                    startCpu, killedAfterMs, cpuSeconds(replacement.pid()));

            // the replacement serves
            JsonNode after = proxy.request(PacedLoad.request("after")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(List.of(), PacedLoad.failureTags(after));
        }
    }
}
