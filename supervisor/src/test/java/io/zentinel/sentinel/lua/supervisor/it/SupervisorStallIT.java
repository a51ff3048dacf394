package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.cli.CliRun;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A supervisor that stands still while its workers answer: the answers wait in the pipes, and
 * once the supervisor runs again none of them may be taken for an overrun. The agent runs as its
 * own process, stopped with SIGSTOP for four times a call's deadline while every Lua VM runs a
 * call; every event must then get its script's answer, none the failure mode.
 */
class SupervisorStallIT {
    private static final long WAIT_SECONDS = 60;
    private static final int IN_FLIGHT = 4; // vm-pool.size: every VM busy when the agent stops
    private static final int STOPS = 3;

    @TempDir
    Path dir;

    @Test
    void answersGivenWhileTheSupervisorStoodStillAreNotTakenForOverruns() throws Exception {
        Path scripts = Files.createDirectories(dir.resolve("scripts"));
        Files.writeString(scripts.resolve("slow.lua"), """
                -- name: slow
                -- hook: request_headers
                function on_request_headers(request)
                    local stop = os.clock() + 0.05
                    while os.clock() < stop do end
                    request:add_header("X-Served", "slow")
                end
                """);
        Path admin = dir.resolve("admin.sock");
        Path socket = dir.resolve("agent.sock");
        // max-execution-time 300 ms (a cold JVM on a busy machine may take that for the script) +
        // kill-grace 250 ms: a deadline of 550 ms, well inside the stops of 1.5 s
        Path config = Files.writeString(dir.resolve("agent.kdl"), "socket-path \"" + socket + "\"\n"
                + "scripts { directory \"scripts\"; timeout 300 }\nresource-limits { max-execution-time 300 }\n"
                + "vm-pool { size " + IN_FLIGHT + " }\nworkers { count 2 }\nadmin { socket-path \"" + admin + "\" }\n");
        Process agent = AgentProcess.start(config, dir);
        try {
            Await.until("agent answers status", Duration.ofSeconds(WAIT_SECONDS), () -> agent.isAlive()
                    && CliRun.of("status", "--admin-socket", admin.toString()).exitCode() == 0);
            try (FakeProxy proxy = FakeProxy.connect(socket)) {
                proxy.handshake();
                assertAllServed(send(proxy, "warm"), "warm-up"); // the first calls of a JVM are slow
                for (int stop = 1; stop <= STOPS; stop++) {
                    List<CompletableFuture<JsonNode>> answers = send(proxy, "stop-" + stop);
                    Thread.sleep(20); // the calls are in the workers, which take 50 ms
                    AgentProcess.signal(agent, "-STOP");
                    Thread.sleep(1500);
                    AgentProcess.signal(agent, "-CONT");
                    assertAllServed(answers, "stop " + stop);
                }
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nagent log:\n" + AgentProcess.output(dir), e);
            }
            String log = AgentProcess.output(dir);
            assertFalse(log.contains("overrun"), log);
            assertTrue(log.contains("the supervisor did not run for"), "the stops were seen: " + log);
        } finally {
            agent.destroyForcibly();
            agent.waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    private static List<CompletableFuture<JsonNode>> send(FakeProxy proxy, String prefix) throws IOException {
        List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
        for (int n = 0; n < IN_FLIGHT; n++) {
            answers.add(proxy.request(FakeProxy.requestHeaders(prefix + "-" + n, "GET", "/api/x",
                    Map.of("host", List.of("example.com")))));
        }
        return answers;
    }

    private static void assertAllServed(List<CompletableFuture<JsonNode>> answers, String round) throws Exception {
        for (CompletableFuture<JsonNode> answer : answers) {
            JsonNode response = answer.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals("slow", stamp(response), round + ": " + response);
        }
    }

    /** The value the script added in {@code X-Served}, or {@code null} (a failure-mode answer has none). */
    private static String stamp(JsonNode response) {
        for (JsonNode op : response.path("request_headers")) {
            JsonNode add = op.path("add");
            if ("x-served".equalsIgnoreCase(add.path("name").asText())) {
                return add.path("value").asText();
            }
        }
        return null;
    }
}
