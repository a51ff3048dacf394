package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.bench.LoadGenerator;
import io.zentinel.sentinel.lua.supervisor.bench.LoadResult;
import io.zentinel.sentinel.lua.supervisor.bench.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's load generator against a real agent running the benchmark's scenario scripts:
 * every event is answered, by the scripts' own decision, and the agent's processes are sampled.
 * No figure is asserted: only that what the benchmark measures is what it claims to measure.
 */
class BenchIT {
    private static final Path SCENARIOS = Path.of("src/bench/scenarios");

    /** Two workers, with roomy time budgets. */
    private static final String CONFIG = "workers { count 2 }\n" + AgentHarness.ROOMY_EXECUTION_TIME;

    @TempDir
    Path dir;

    private static LoadResult load(Path socket, Workload workload) throws Exception {
        return new LoadGenerator(new LoadGenerator.Plan(socket, 4, 8, Duration.ZERO, Duration.ofSeconds(1), workload)).run();
    }

    private static void assertAllDecidedByTheScripts(LoadResult result) {
        assertEquals(0, result.errors(), "errors");
        assertTrue(result.answered() > 0, "nothing answered");
        assertEquals(0, result.answers().failureMode(), () -> "failure-mode answers: " + result.answers().causes());
        assertEquals(result.answered(), result.answers().allow(), "the scenario scripts allow the load generator's events");
    }

    @Test
    void headerAndBodyEventsAreAnsweredByTheScenarioScripts() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir)
                .script("10-header-check.lua", Files.readString(SCENARIOS.resolve("header-only/scripts/10-header-check.lua")))
                .script("20-body-scan.lua", Files.readString(SCENARIOS.resolve("body/scripts/10-body-scan.lua")))) {
            agent.start(AgentHarness.ROOMY_SCRIPT_TIMEOUT, CONFIG);

            LoadResult headers = load(agent.socket(), Workload.headers("GET", "/api/users?id=42", 20));
            LoadResult bodies = load(agent.socket(), new Workload(Workload.Kind.REQUEST_BODY,
                    List.of(new Workload.Request("POST", "/upload")), 20, 65536));

            assertAllDecidedByTheScripts(headers);
            assertAllDecidedByTheScripts(bodies);
            // the supervisor is this test's JVM; its children are the 2 workers
            assertTrue(headers.memory().before().available(), "memory sampled");
            assertEquals(2, headers.memory().before().childrenKb().size(), "worker processes");
            assertTrue(headers.agentCpu().available() && headers.agentCpu().seconds() > 0, "agent CPU sampled");
        }
    }

    @Test
    void chainScenarioBlocksTheOneRequestOfItsMixThatItShould() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir)) {
            try (var files = Files.newDirectoryStream(SCENARIOS.resolve("chain/scripts"), "*.lua")) {
                for (Path file : files) {
                    agent.script(file.getFileName().toString(), Files.readString(file));
                }
            }
            agent.start(AgentHarness.ROOMY_SCRIPT_TIMEOUT, CONFIG);
            List<Workload.Request> mix = Files.readAllLines(SCENARIOS.resolve("chain/requests.txt")).stream()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).map(Workload.Request::parse).toList();

            LoadResult result = load(agent.socket(), new Workload(Workload.Kind.REQUEST_HEADERS, mix, 20, 0));

            assertEquals(0, result.errors(), "errors");
            assertEquals(0, result.answers().failureMode(), () -> "failure-mode answers: " + result.answers().causes());
            assertTrue(result.answers().block() > 0, "POST /admin/users is blocked");
            assertTrue(result.answers().allow() > result.answers().block(), "the other five requests are allowed");
        }
    }
}
