package io.zentinel.sentinel.lua.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminHandler;
import io.zentinel.sentinel.lua.supervisor.admin.AdminJson;
import io.zentinel.sentinel.lua.supervisor.admin.AdminServer;
import io.zentinel.sentinel.lua.supervisor.admin.ReloadReport;
import io.zentinel.sentinel.lua.supervisor.admin.Reports;
import io.zentinel.sentinel.lua.supervisor.admin.StatusReport;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code status} against a real admin socket served with fixed reports. */
class StatusCommandTest {

    @TempDir
    Path dir;

    static AdminHandler handler(StatusReport status, ReloadReport reload) {
        return new AdminHandler() {
            @Override
            public StatusReport status() {
                return status;
            }

            @Override
            public ReloadReport reload() {
                return reload;
            }
        };
    }

    private AdminServer serve(StatusReport status) throws Exception {
        return AdminServer.start(dir.resolve("admin.sock"), handler(status, Reports.accepted()));
    }

    @Test
    void printsWorkersScriptsLastReloadAndTotals() throws Exception {
        try (AdminServer server = serve(Reports.status(Reports.rejected()))) {
            CliRun run = CliRun.of("status", "--admin-socket", server.socketPath().toString());
            assertEquals(0, run.exitCode(), run.toString());
            assertEquals("", run.err());
            assertEquals("""
                    sentinel-lua-agent 0.1.0, pid 4242, up 1h02m, fail-open
                      proxy socket  /run/lua.sock (4 connections)
                      admin socket  /run/lua-admin.sock
                      scripts       /etc/sentinel/scripts (hot reload, polled every 5.0 s)
                      supervisor    RSS 64.0 MiB, CPU 1.3 %

                    WORKERS (2 x 4 Lua VMs configured)
                      ID   PID  STATE     GEN  VMS  EXECUTIONS  IN FLIGHT       RSS  CPU %    AGE  RESTARTS  CGROUP  LAST EXIT
                       7  5151  ready       2    4        1200          1  48.0 MiB    2.5  3m10s         0  none    -
                       8  5152  starting    2    4           0          0         -      -     1s         2  none    worker-6 - killed: missed heartbeat (killed by SIGKILL (exit 137))

                    SCRIPTS (generation 2, since 2026-11-25T10:00:05Z)
                      FILE              NAME       VERSION  HOOKS            PATHS   METHODS   PRIORITY
                      seed-example.lua  my-script  1.0.0    request_headers  /api/*  GET,POST       100

                    LAST RELOAD  2026-11-25T10:00:09Z (file change): rejected, generation 2 keeps serving, took 912 ms
                      broken.lua:3: does not compile: unexpected symbol near 'end'
                      worker-9 - script set invalid (exit 78)
                      reloads since start: 1 accepted, 1 rejected

                    TOTALS
                      requests         1200 (1260 events, 1 in flight)
                      decisions        allow 1180, block 20, redirect 0
                      failures         script-error 3, instruction-limit 2, overloaded 2

                    FAILURES BY SCRIPT (failure-mode decisions by script and cause)
                      SCRIPT     TOTAL  SCRIPT-ERROR  INSTRUCTION-LIMIT  OVERLOADED
                      (none)         2             0                  0           2
                      my-script      5             3                  2           0
                    """, run.out());
        }
    }

    @Test
    void printsNoneBeforeTheFirstReload() throws Exception {
        try (AdminServer server = serve(Reports.status(null))) {
            CliRun run = CliRun.of("status", "--admin-socket", server.socketPath().toString());
            assertEquals(0, run.exitCode(), run.toString());
            assertTrue(run.out().contains("\nLAST RELOAD  none since start\n"), run.out());
        }
    }

    @Test
    void jsonPrintsTheAgentsAnswerForMachines() throws Exception {
        try (AdminServer server = serve(Reports.status(Reports.accepted()))) {
            CliRun run = CliRun.of("status", "--json", "--admin-socket", server.socketPath().toString());
            assertEquals(0, run.exitCode(), run.toString());
            JsonNode json = AdminJson.mapper().readTree(run.out());
            assertEquals(4242, json.at("/agent/pid").asLong());
            assertEquals(5151, json.at("/workers/0/pid").asLong());
            assertEquals("ready", json.at("/workers/0/state").asText());
            assertEquals(50_331_648L, json.at("/workers/0/rss_bytes").asLong());
            assertTrue(json.at("/workers/0/cgroup").isNull());
            assertEquals("1.0.0", json.at("/scripts/loaded/0/version").asText());
            assertTrue(json.at("/last_reload/accepted").asBoolean());
            assertEquals(20, json.at("/totals/decisions/block").asLong());
            assertEquals(5, json.at("/totals/script_failures/my-script").asLong());
            assertEquals(2, json.at("/totals/failures_by_script/my-script/instruction-limit").asLong());
            assertEquals(3, json.at("/totals/failures_by_script/my-script/script-error").asLong());
            assertEquals(2, json.at("/totals/failures_by_script/(none)/overloaded").asLong());
        }
    }

    @Test
    void takesTheAdminSocketFromTheConfigurationFile() throws Exception {
        try (AdminServer server = serve(Reports.status(null))) {
            Path config = Files.writeString(dir.resolve("agent.kdl"),
                    "admin { socket-path \"" + server.socketPath() + "\" }\n");
            CliRun run = CliRun.of("status", "--config", config.toString());
            assertEquals(0, run.exitCode(), run.toString());
            assertTrue(run.out().startsWith("sentinel-lua-agent 0.1.0, pid 4242"), run.out());
        }
    }

    @Test
    void exits69WhenNoAgentIsRunning() {
        Path socket = dir.resolve("none.sock");
        CliRun run = CliRun.of("status", "--admin-socket", socket.toString());
        assertEquals(69, run.exitCode(), run.toString());
        assertEquals("", run.out());
        assertEquals("sentinel-lua-agent: no agent is running with admin socket " + socket
                + " (the file does not exist; see admin.socket-path)\n", run.err());
    }

    @Test
    void exits78OnAnInvalidConfigurationFile() throws Exception {
        Path config = Files.writeString(dir.resolve("agent.kdl"), "admin { socket-path \"\" }\n");
        CliRun run = CliRun.of("status", "--config", config.toString());
        assertEquals(78, run.exitCode(), run.toString());
        assertTrue(run.err().startsWith("sentinel-lua-agent: admin.socket-path"), run.err());
    }

    @Test
    void exits2OnBadArguments() {
        CliRun zero = CliRun.of("status", "--timeout", "0");
        assertEquals(2, zero.exitCode(), zero.toString());
        assertEquals("sentinel-lua-agent: --timeout must be at least 1 second (was 0)\n", zero.err());
        CliRun unknown = CliRun.of("status", "--bogus");
        assertEquals(2, unknown.exitCode(), unknown.toString());
        assertTrue(unknown.err().startsWith("Unknown option: '--bogus'"), unknown.err());
    }

    @Test
    void helpListsTheOptionsAndExitCodes() {
        CliRun run = CliRun.of("status", "--help");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("--admin-socket=PATH"), run.out());
        assertTrue(run.out().contains("--json"), run.out());
        assertTrue(run.out().contains("Exit codes:"), run.out());
        assertTrue(run.out().contains("69   no agent answers on the admin socket"), run.out());
    }
}
