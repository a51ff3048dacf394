package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.admin.AdminJson;
import io.zentinel.sentinel.lua.supervisor.admin.ReloadReport;
import io.zentinel.sentinel.lua.supervisor.admin.StatusReport;
import io.zentinel.sentinel.lua.supervisor.cli.CliRun;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import io.zentinel.sentinel.lua.supervisor.proxy.SocketInUseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloading scripts in a running agent, with real parts: the supervisor, worker JVMs, the proxy
 * and admin Unix sockets, the CLI's {@code status} and {@code reload}, and (once) the agent as its
 * own process receiving SIGHUP. Every wait is bounded by tens of seconds; nothing asserts timing.
 */
class HotReloadIT {
    private static final long WAIT_SECONDS = 60;

    @TempDir
    Path dir;

    /** A script that stamps every request with its version in {@code X-Version}. */
    static String versioned(String version) {
        return """
                -- name: versioned
                -- version: %s
                -- hook: request_headers
                function on_request_headers(request)
                    request:add_header("X-Version", "%s")
                end
                """.formatted(version, version);
    }

    static final String BROKEN = """
            -- name: broken
            function on_request_headers(request)
                local x =
            end
            """;

    private static String request(String id) {
        return FakeProxy.requestHeaders(id, "GET", "/api/x", Map.of("host", List.of("example.com")));
    }

    /** The version a response was stamped with, or why there is none. */
    static String versionOf(JsonNode response) {
        String tags = response.at("/audit/tags").toString();
        if (tags.contains("lua-agent:")) {
            return "failure " + tags;
        }
        for (JsonNode op : response.path("request_headers")) {
            JsonNode add = op.path("add");
            if ("x-version".equalsIgnoreCase(add.path("name").asText())) {
                return add.path("value").asText();
            }
        }
        return "unstamped " + response;
    }

    private static String versionServed(FakeProxy proxy, String id) throws Exception {
        return versionOf(proxy.request(request(id)).get(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(WAIT_SECONDS).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + WAIT_SECONDS + " s: " + what);
            }
            Thread.sleep(100);
        }
    }

    /** Whether this process ignores SIGHUP (bit 1 of {@code SigIgn} in {@code /proc/self/status}). */
    private static boolean sighupIgnoredHere() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16) & 1L) != 0;
            }
        }
        return false;
    }

    private static JsonNode statusJson(Path adminSocket) throws Exception {
        CliRun run = CliRun.of("status", "--json", "--admin-socket", adminSocket.toString());
        assertEquals(0, run.exitCode(), run.toString());
        return AdminJson.mapper().readTree(run.out());
    }

    @Test
    void reloadSwitchesNewRequestsToTheNewScriptsAndStatusShowsIt() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("versioned.lua", versioned("1"))) {
            Supervisor supervisor = agent.start("workers { count 1 }");
            FakeProxy proxy = agent.connect();
            assertEquals("1", versionServed(proxy, "before"));

            agent.script("versioned.lua", versioned("2"));
            CliRun reload = CliRun.of("reload", "--admin-socket", agent.adminSocket().toString());
            assertEquals(0, reload.exitCode(), reload.toString());
            assertTrue(reload.out().startsWith("reload accepted: generation 2 serves 1 script (took "), reload.out());
            assertTrue(reload.out().contains("versioned.lua  versioned  2"), reload.out());
            assertEquals("2", versionServed(proxy, "after"));

            ReloadReport last = supervisor.lastReload();
            assertTrue(last.accepted());
            assertEquals("admin socket", last.trigger());
            assertEquals(2, last.generation());
            await("old generation retired", () -> supervisor.pool().snapshot().stream()
                    .allMatch(w -> w.generation() == 2));

            CliRun status = CliRun.of("status", "--admin-socket", agent.adminSocket().toString());
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("SCRIPTS (generation 2, since "), status.out());
            assertTrue(status.out().contains("(admin socket): accepted, generation 2 serves 1 script, took "),
                    status.out());
            assertTrue(status.out().contains("  requests         2 (2 events, 0 in flight)"), status.out());
            JsonNode json = statusJson(agent.adminSocket());
            assertEquals(1, json.at("/workers").size(), json.toString());
            assertEquals("ready", json.at("/workers/0/state").asText());
            assertTrue(json.at("/workers/0/rss_bytes").asLong() > 0, "RSS sampled by oshi: " + json.at("/workers/0"));
            assertTrue(json.at("/workers/0/cpu_percent").isNumber(), json.at("/workers/0").toString());
            assertEquals(1, json.at("/reloads/accepted").asLong());
        }
    }

    @Test
    void brokenScriptSetIsRejectedAndTheRunningScriptsKeepServing() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("versioned.lua", versioned("1"))) {
            Supervisor supervisor = agent.start("workers { count 2 }");
            FakeProxy proxy = agent.connect();
            agent.script("versioned.lua", versioned("2")).script("broken.lua", BROKEN);

            CliRun reload = CliRun.of("reload", "--admin-socket", agent.adminSocket().toString());
            assertEquals(78, reload.exitCode(), reload.toString());
            assertEquals("", reload.out());
            List<String> lines = reload.err().lines().toList();
            assertTrue(lines.get(0).startsWith("reload rejected: generation 1 keeps serving (took "), reload.err());
            assertTrue(lines.get(1).startsWith("broken.lua:4: does not compile: "), reload.err());

            for (int i = 0; i < 20; i++) {
                assertEquals("1", versionServed(proxy, "still-" + i), "the old scripts still serve");
            }
            assertTrue(supervisor.pool().snapshot().stream()
                    .filter(w -> w.state() == WorkerState.READY).allMatch(w -> w.generation() == 1));
            JsonNode json = statusJson(agent.adminSocket());
            assertFalse(json.at("/last_reload/accepted").asBoolean());
            assertEquals("broken.lua", json.at("/last_reload/problems/0/file").asText());
            assertEquals(4, json.at("/last_reload/problems/0/line").asInt());
            assertEquals(1, json.at("/scripts/generation").asLong());
            assertEquals("1", json.at("/scripts/loaded/0/version").asText());
            assertEquals(1, json.at("/reloads/rejected").asLong());
        }
    }

    @Test
    void rapidSuccessiveChangesOnDiskEndOnTheLastVersion() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("versioned.lua", versioned("1"))) {
            Supervisor supervisor = agent.start("hot-reload true; watch-interval 1", "workers { count 1 }");
            FakeProxy proxy = agent.connect();
            assertEquals("1", versionServed(proxy, "v1"));
            for (int v = 2; v <= 6; v++) {
                agent.script("versioned.lua", versioned(String.valueOf(v)));
                Thread.sleep(10);
            }
            int[] n = {0};
            await("version 6 serves", () -> {
                try {
                    return "6".equals(versionServed(proxy, "poll-" + n[0]++));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            // the new generation serves as soon as the pool swaps, a moment before the reload is recorded
            await("reload recorded", () -> supervisor.lastReload() != null);
            ReloadReport last = supervisor.lastReload();
            assertTrue(last.accepted(), String.valueOf(last));
            assertEquals("file change", last.trigger());
            StatusReport.Reloads reloads = supervisor.status().reloads();
            assertTrue(reloads.accepted() >= 1 && reloads.accepted() <= 5,
                    "at most one reload per change, fewer when debounced: " + reloads);
            assertEquals(0, reloads.rejected());

            // a broken edit is rejected and logged; the fix after it is picked up
            agent.script("versioned.lua", BROKEN);
            await("broken edit rejected", () -> {
                ReloadReport report = supervisor.lastReload();
                return !report.accepted() && report.trigger().equals("file change");
            });
            assertEquals("6", versionServed(proxy, "after-broken"));
            agent.script("versioned.lua", versioned("7"));
            await("fix picked up", () -> supervisor.lastReload().accepted());
            assertEquals("7", versionServed(proxy, "after-fix"));
        }
    }

    @Test
    void reloadsUnderSteadyPipelinedLoadLoseOrFailNoRequest() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("versioned.lua", versioned("1"))) {
            // generous limits: on a busy 2-core box, new worker JVMs must not make events wait into
            // overload or the acquire timeout; this test is about the reload, not load shedding
            Supervisor supervisor = agent.start("workers { count 2 }\nsafety { fail-open true; max-concurrent 10000 }\n"
                    + "resource-limits { max-execution-time 10000 }");
            List<FakeProxy> proxies = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                proxies.add(agent.connect());
            }
            List<CompletableFuture<ReloadReport>> reloads = new ArrayList<>();
            List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
            // at least 3000 requests, and 300 more once both reloads are done: before, during and after
            int doneAt = -1;
            for (int n = 0; n < 3000 || doneAt < 0 || n < doneAt + 300; n++) {
                answers.add(proxies.get(n % 4).request(request("load-" + n)));
                if (n == 300) {
                    // two reloads one after the other while the stream goes on: v1 -> v2 -> v3
                    reloads.add(CompletableFuture.supplyAsync(() -> reloadTo(agent, supervisor, "2")));
                    reloads.add(reloads.getFirst().thenApplyAsync(first -> reloadTo(agent, supervisor, "3")));
                }
                if (doneAt < 0 && n > 300 && reloads.stream().allMatch(CompletableFuture::isDone)) {
                    doneAt = n;
                }
                if (n % 5 == 0) {
                    Thread.sleep(5); // a steady stream rather than one burst
                }
                assertTrue(n < 200_000, "reloads did not finish");
            }
            int total = answers.size();
            for (CompletableFuture<ReloadReport> reload : reloads) {
                ReloadReport report = reload.get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertTrue(report.accepted(), String.valueOf(report));
            }
            int[] seen = new int[4];
            for (int n = 0; n < total; n++) {
                JsonNode response = answers.get(n).get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertEquals("load-" + n, response.at("/audit/custom/correlation_id").asText());
                String version = versionOf(response);
                assertTrue(version.matches("[123]"), "load-" + n + " answered by a script: " + version);
                seen[Integer.parseInt(version)]++;
            }
            assertTrue(seen[1] > 0 && seen[3] >= 300, "served before and after the reloads: v1 " + seen[1] + ", v2 "
                    + seen[2] + ", v3 " + seen[3]);
            assertEquals("3", versionServed(proxies.getFirst(), "final"));
            for (FakeProxy proxy : proxies) {
                assertTrue(proxy.violations().isEmpty(), proxy.violations().toString());
                assertTrue(proxy.unmatchedResponses().isEmpty(), proxy.unmatchedResponses().toString());
            }
            long failures = supervisor.status().totals().failures().values().stream().mapToLong(Long::longValue).sum();
            assertEquals(0, failures, "no failure-mode decision: " + supervisor.status().totals().failures());
        }
    }

    private static ReloadReport reloadTo(AgentHarness agent, Supervisor supervisor, String version) {
        try {
            agent.script("versioned.lua", versioned(version));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return supervisor.reload("load test " + version);
    }

    @Test
    void aSecondAgentOnTheSameAdminSocketDoesNotStartAndLeavesNoSocketBehind() throws Exception {
        try (AgentHarness first = new AgentHarness(dir.resolve("a")).script("versioned.lua", versioned("1"));
             AgentHarness second = new AgentHarness(dir.resolve("b")).script("versioned.lua", versioned("1"))) {
            first.start("workers { count 1 }");
            SocketInUseException e = assertThrows(SocketInUseException.class, () -> second.start(
                    "workers { count 1 }\nadmin { socket-path \"" + first.adminSocket() + "\" }"));
            assertEquals("socket " + first.adminSocket() + " is in use by a running agent", e.getMessage());
            assertFalse(Files.exists(second.socket(), LinkOption.NOFOLLOW_LINKS), "second proxy socket removed");
            assertEquals(0, CliRun.of("status", "--admin-socket", first.adminSocket().toString()).exitCode());
            assertEquals("1", versionServed(first.connect(), "first-still-serves"));
        }
    }

    @Test
    void sighupReloadsARunningAgentProcess() throws Exception {
        assumeFalse(sighupIgnoredHere(), "SIGHUP is ignored by this test process (started with nohup?), and the "
                + "agent it starts inherits that: the JVM then keeps SIGHUP ignored");
        Path scripts = Files.createDirectories(dir.resolve("scripts"));
        Files.writeString(scripts.resolve("versioned.lua"), versioned("1"));
        Path admin = dir.resolve("admin.sock");
        Path socket = dir.resolve("agent.sock");
        // roomy budgets: the first call of the reloaded worker JVM must not overrun on a slow machine
        Path config = Files.writeString(dir.resolve("agent.kdl"), "socket-path \"" + socket + "\"\n"
                + "scripts { directory \"scripts\"; " + AgentHarness.ROOMY_SCRIPT_TIMEOUT + " }\nworkers { count 1 }\n"
                + AgentHarness.ROOMY_EXECUTION_TIME + "admin { socket-path \"" + admin + "\" }\n");
        Process agent = AgentProcess.start(config, dir);
        try {
            await("agent answers status", () -> agent.isAlive()
                    && CliRun.of("status", "--admin-socket", admin.toString()).exitCode() == 0);
            Files.writeString(scripts.resolve("versioned.lua"), versioned("2"));
            AgentProcess.signal(agent, "-HUP");
            JsonNode[] last = new JsonNode[1];
            await("SIGHUP reload reported", () -> {
                try {
                    last[0] = statusJson(admin).path("last_reload");
                    return "SIGHUP".equals(last[0].path("trigger").asText());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertTrue(last[0].path("accepted").asBoolean(), last[0].toString());
            assertEquals("2", last[0].at("/scripts/0/version").asText());
            assertTrue(agent.isAlive(), "SIGHUP does not stop the agent");
            try (FakeProxy proxy = FakeProxy.connect(socket)) {
                proxy.handshake();
                assertEquals("2", versionServed(proxy, "after-hup"));
            }
            agent.destroy(); // SIGTERM: graceful stop
            assertTrue(agent.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "agent stopped");
            assertEquals(0, agent.exitValue(), Files.readString(dir.resolve("agent.err")));
            assertFalse(Files.exists(admin, LinkOption.NOFOLLOW_LINKS), "admin socket removed");
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "proxy socket removed");
        } finally {
            agent.destroyForcibly();
        }
    }

    @Test
    void statusShowsTheWorkersOfAFreshAgent() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).scriptResource("seed-example.lua")) {
            agent.start("workers { count 2 }");
            JsonNode json = statusJson(agent.adminSocket());
            assertEquals(2, json.at("/workers").size());
            for (JsonNode worker : json.at("/workers")) {
                assertEquals("ready", worker.path("state").asText());
                assertTrue(worker.path("pid").asLong() > 0);
                assertEquals(4, worker.path("vms").asInt());
                assertNotNull(worker.get("cgroup"));
                // the worker's own cgroup where the host lets the agent create them, else null
                String expected = agent.supervisor().cgroups().find(worker.path("id").asInt())
                        .map(c -> c.path().toString()).orElse(null);
                if (expected == null) {
                    assertTrue(worker.get("cgroup").isNull(), worker.toString());
                } else {
                    assertEquals(expected, worker.get("cgroup").asText());
                }
            }
            assertEquals("my-script", json.at("/scripts/loaded/0/name").asText());
            assertTrue(json.at("/last_reload").isNull());
            assertEquals(ProcessHandle.current().pid(), json.at("/agent/pid").asLong());
        }
    }
}
