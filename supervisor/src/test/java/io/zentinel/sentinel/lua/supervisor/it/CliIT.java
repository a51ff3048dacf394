package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminJson;
import io.zentinel.sentinel.lua.supervisor.cli.CliRun;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check} and {@code test} through the real command line: each starts a real worker JVM
 * from the test class path, as the distribution does from lib/worker.
 */
class CliIT {

    @TempDir
    Path dir;

    private Path seedExample(Path directory) throws Exception {
        Files.createDirectories(directory);
        try (InputStream in = CliIT.class.getResourceAsStream("/scripts/seed-example.lua")) {
            Path file = directory.resolve("seed-example.lua");
            Files.write(file, in.readAllBytes());
            return file;
        }
    }

    private Path event(String json) throws Exception {
        return Files.writeString(dir.resolve("event-" + Math.abs(json.hashCode()) + ".json"), json);
    }

    private static final String HEADERS_SCRIPT = """
            -- name: security-headers
            -- version: 2.1
            -- hook: response_headers
            function on_response_headers(response)
                response:add_header("X-Frame-Options", "DENY")
            end
            """;

    @Test
    void checkPassesAGoodDirectoryAndListsItsScripts() throws Exception {
        Path scripts = dir.resolve("scripts");
        seedExample(scripts);
        Files.writeString(scripts.resolve("headers.lua"), HEADERS_SCRIPT);
        CliRun run = CliRun.of("check", scripts.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("", run.err());
        assertEquals("2 of 2 script files loaded from " + scripts + ":\n"
                + "  FILE              NAME              VERSION  HOOKS             PATHS   METHODS   PRIORITY\n"
                + "  seed-example.lua  my-script         1.0.0    request_headers   /api/*  GET,POST       100\n"
                + "  headers.lua       security-headers  2.1      response_headers  *       *              100\n"
                + "no problems\n", run.out());
    }

    @Test
    void checkPrintsEachProblemAsFileLineReasonAndExits78() throws Exception {
        Path scripts = dir.resolve("scripts");
        seedExample(scripts);
        Files.writeString(scripts.resolve("broken.lua"), HotReloadIT.BROKEN);
        Files.writeString(scripts.resolve("meta.lua"), """
                -- name: meta
                -- hook: on_everything
                function on_request_headers(request) end
                """);
        CliRun run = CliRun.of("check", scripts.toString());
        assertEquals(78, run.exitCode(), run.toString());
        List<String> problems = run.err().lines().toList();
        assertEquals(2, problems.size(), run.err());
        assertTrue(problems.get(0).startsWith(scripts.resolve("broken.lua") + ":4: does not compile: "), run.err());
        assertTrue(problems.get(1).startsWith(scripts.resolve("meta.lua") + ":2: 'on_everything' is not a hook"),
                run.err());
        assertTrue(run.out().startsWith("1 of 3 script files loaded from " + scripts + ":\n"), run.out());
        assertTrue(run.out().contains("  seed-example.lua  my-script  1.0.0"), run.out());
        assertTrue(run.out().endsWith("2 problems\n"), run.out());
    }

    @Test
    void checkTakesOneFileOrTheConfiguredDirectory() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.lua"), HotReloadIT.BROKEN);
        CliRun file = CliRun.of("check", broken.toString());
        assertEquals(78, file.exitCode(), file.toString());
        assertTrue(file.err().startsWith(broken + ":4: does not compile: "), file.err());
        assertTrue(file.out().startsWith("0 of 1 script file loaded from " + broken + "\n"), file.out());

        Path scripts = dir.resolve("configured");
        seedExample(scripts);
        CliRun configured = CliRun.of("check", "--scripts", scripts.toString(), "--json");
        assertEquals(0, configured.exitCode(), configured.toString());
        JsonNode json = AdminJson.mapper().readTree(configured.out());
        assertEquals(scripts.toString(), json.get("path").asText());
        assertEquals("my-script", json.at("/scripts/0/name").asText());
        assertEquals("/api/*", json.at("/scripts/0/paths/0").asText());
        assertEquals(0, json.get("problems").size());
    }

    @Test
    void checkOfAnEmptyOrMissingDirectory() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        CliRun none = CliRun.of("check", empty.toString());
        assertEquals(0, none.exitCode(), none.toString());
        assertEquals("no *.lua script in " + empty + "\n", none.out());
        CliRun missing = CliRun.of("check", dir.resolve("nope").toString());
        assertEquals(78, missing.exitCode(), missing.toString());
        assertEquals("sentinel-lua-agent: script '" + dir.resolve("nope") + "' does not exist\n", missing.err());
    }

    @Test
    void testRunsTheSeedExampleAndPrintsTheDecisionAndHeaderMutations() throws Exception {
        Path script = seedExample(dir.resolve("scripts"));
        CliRun blocked = CliRun.of("test", script.toString(), "--event",
                event("{\"phase\":\"request_headers\",\"method\":\"POST\",\"uri\":\"/api/users\"}").toString());
        assertEquals(0, blocked.exitCode(), blocked.toString());
        assertEquals("", blocked.err());
        List<String> lines = blocked.out().lines().toList();
        assertEquals("script           my-script 1.0.0 (seed-example.lua), hooks request_headers, paths /api/*,"
                + " methods GET,POST, priority 100", lines.get(0));
        assertEquals("event            request_headers POST /api/users", lines.get(1));
        assertTrue(lines.get(2).startsWith("ran              my-script in "), lines.get(2));
        assertEquals("decision         block 403", lines.get(3));
        assertTrue(lines.contains("request headers"), blocked.out());
        assertTrue(lines.contains("  add X-Processed-By: my-script"), blocked.out());
        assertTrue(lines.contains("response headers none"), blocked.out());

        CliRun allowed = CliRun.of("test", script.toString(), "--event", event("""
                {"phase":"request_headers","method":"GET","uri":"/api/users?id=7",
                 "headers":{"Authorization":"Bearer t0ken"},"client_ip":"203.0.113.9"}
                """).toString());
        assertEquals(0, allowed.exitCode(), allowed.toString());
        assertTrue(allowed.out().contains("\ndecision         allow\n"), allowed.out());
        assertTrue(allowed.out().contains("\n  add X-Processed-By: my-script\n"), allowed.out());

        CliRun unrouted = CliRun.of("test", script.toString(), "--event",
                event("{\"phase\":\"request_headers\",\"uri\":\"/static/logo.png\"}").toString());
        assertEquals(0, unrouted.exitCode(), unrouted.toString());
        assertTrue(unrouted.out().contains("\nran              no script (none matches this phase, path and method)"),
                unrouted.out());
        assertTrue(unrouted.out().contains("\nrequest headers  none\n"), unrouted.out());
    }

    @Test
    void testPrintsJsonForMachines() throws Exception {
        Path script = seedExample(dir.resolve("scripts"));
        CliRun run = CliRun.of("test", script.toString(), "--json", "--event",
                event("{\"phase\":\"request_headers\",\"method\":\"GET\",\"uri\":\"/api/x\"}").toString());
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode json = AdminJson.mapper().readTree(run.out());
        assertEquals("block", json.at("/decision/kind").asText());
        assertEquals(403, json.at("/decision/status").asInt());
        assertEquals("add", json.at("/request_headers/0/op").asText());
        assertEquals("X-Processed-By", json.at("/request_headers/0/name").asText());
        assertEquals("my-script", json.at("/scripts_run/0").asText());
        assertTrue(json.get("failure").isNull());
        assertTrue(json.at("/stats/instructions").asLong() > 0);
    }

    @Test
    void testShowsResponseMutationsLogsAndCtx() throws Exception {
        Path headers = Files.writeString(dir.resolve("headers.lua"), HEADERS_SCRIPT);
        CliRun response = CliRun.of("test", headers.toString(), "--event",
                event("{\"phase\":\"response_headers\",\"status\":200,\"request\":{\"uri\":\"/\"}}").toString());
        assertEquals(0, response.exitCode(), response.toString());
        assertTrue(response.out().contains("\nevent            response_headers GET / -> 200\n"), response.out());
        assertTrue(response.out().contains("\nresponse headers\n  add X-Frame-Options: DENY\n"), response.out());

        Path logging = Files.writeString(dir.resolve("logging.lua"), """
                -- name: logging
                function on_request_headers(request)
                    print("hello from print")
                    sentinel.log("info", "path " .. request:get_path())
                    sentinel.ctx.user = "alice"
                end
                """);
        CliRun logged = CliRun.of("test", logging.toString(), "--event",
                event("{\"phase\":\"request_headers\",\"uri\":\"/a?b=c\"}").toString());
        assertEquals(0, logged.exitCode(), logged.toString());
        assertTrue(logged.out().contains("\nctx              {\"user\":\"alice\"}\n"), logged.out());
        assertTrue(logged.out().endsWith("log\n  [INFO] script logging - hello from print\n"
                + "  [INFO] script logging - path /a\n"), logged.out());
    }

    @Test
    void testOfAFailingScriptShowsTheFailureModeAndExits78() throws Exception {
        Path failing = Files.writeString(dir.resolve("failing.lua"), """
                -- name: failing
                function on_request_headers(request)
                    error("boom")
                end
                """);
        Path event = event("{\"phase\":\"request_headers\"}");
        CliRun open = CliRun.of("test", failing.toString(), "--event", event.toString());
        assertEquals(78, open.exitCode(), open.toString());
        assertTrue(open.out().contains("\nfailure          script-error in failing: failing.lua:3: boom\n"), open.out());
        assertTrue(open.out().contains("\ndecision         allow (fail-open, from safety.fail-open)\n"), open.out());
        assertTrue(open.out().contains("\ntags             lua-agent:fail-open, lua-agent:script-error\n"), open.out());

        Path closedConfig = Files.writeString(dir.resolve("closed.kdl"), "safety { fail-open false }\n");
        CliRun closed = CliRun.of("test", failing.toString(), "--event", event.toString(), "--config",
                closedConfig.toString());
        assertEquals(78, closed.exitCode(), closed.toString());
        assertTrue(closed.out().contains("\ndecision         block 500 (fail-closed, from safety.fail-open)\n"),
                closed.out());
    }

    @Test
    void testOfAScriptThatDoesNotLoadExits78WithFileAndLine() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.lua"), HotReloadIT.BROKEN);
        CliRun run = CliRun.of("test", broken.toString(), "--event", event("{\"phase\":\"request_headers\"}").toString());
        assertEquals(78, run.exitCode(), run.toString());
        assertEquals("", run.out());
        assertTrue(run.err().startsWith(broken + ":4: does not compile: "), run.err());
    }

    @Test
    void testRejectsAnInvalidEventFileWithExit2() throws Exception {
        Path script = seedExample(dir.resolve("scripts"));
        Path bad = event("{\"phase\":\"request_headers\",\"headers\":{\"accept\":3}}");
        CliRun run = CliRun.of("test", script.toString(), "--event", bad.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("sentinel-lua-agent: " + bad + ": headers.accept: must be a string or an array of strings (was 3)\n",
                run.err());
        CliRun missing = CliRun.of("test", script.toString());
        assertEquals(2, missing.exitCode(), missing.toString());
        assertTrue(missing.err().startsWith("Missing required option: '--event=EVENT.json'"), missing.err());
    }
}
