package io.zentinel.sentinel.lua.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminErrorException;
import io.zentinel.sentinel.lua.supervisor.admin.AdminJson;
import io.zentinel.sentinel.lua.supervisor.admin.AdminServer;
import io.zentinel.sentinel.lua.supervisor.admin.ReloadReport;
import io.zentinel.sentinel.lua.supervisor.admin.Reports;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reload} against a real admin socket served with fixed reports. */
class ReloadCommandTest {

    @TempDir
    Path dir;

    private AdminServer serve(ReloadReport reload) throws Exception {
        return AdminServer.start(dir.resolve("admin.sock"), StatusCommandTest.handler(Reports.status(null), reload));
    }

    @Test
    void printsTheLoadedScriptsAndExits0WhenAccepted() throws Exception {
        try (AdminServer server = serve(Reports.accepted())) {
            CliRun run = CliRun.of("reload", "--admin-socket", server.socketPath().toString());
            assertEquals(0, run.exitCode(), run.toString());
            assertEquals("", run.err());
            assertEquals("""
                    reload accepted: generation 2 serves 1 script (took 1.8 s)
                      FILE              NAME       VERSION  HOOKS            PATHS   METHODS   PRIORITY
                      seed-example.lua  my-script  1.0.0    request_headers  /api/*  GET,POST       100
                    """, run.out());
        }
    }

    @Test
    void printsEachProblemAsFileLineReasonAndExits78WhenRejected() throws Exception {
        try (AdminServer server = serve(Reports.rejected())) {
            CliRun run = CliRun.of("reload", "--admin-socket", server.socketPath().toString());
            assertEquals(78, run.exitCode(), run.toString());
            assertEquals("", run.out());
            assertEquals("""
                    reload rejected: generation 2 keeps serving (took 912 ms)
                    broken.lua:3: does not compile: unexpected symbol near 'end'
                    worker-9 - script set invalid (exit 78)
                    """, run.err());
        }
    }

    @Test
    void jsonPrintsTheReloadReportAndKeepsTheExitCode() throws Exception {
        try (AdminServer server = serve(Reports.rejected())) {
            CliRun run = CliRun.of("reload", "--json", "--admin-socket", server.socketPath().toString());
            assertEquals(78, run.exitCode(), run.toString());
            JsonNode json = AdminJson.mapper().readTree(run.out());
            assertFalse(json.get("accepted").asBoolean());
            assertEquals("broken.lua", json.at("/problems/0/file").asText());
            assertEquals(3, json.at("/problems/0/line").asInt());
            assertEquals("file change", json.get("trigger").asText());
        }
    }

    @Test
    void exits69WhenNoAgentIsRunning() {
        CliRun run = CliRun.of("reload", "--admin-socket", dir.resolve("none.sock").toString());
        assertEquals(69, run.exitCode(), run.toString());
        assertTrue(run.err().startsWith("sentinel-lua-agent: no agent is running with admin socket "), run.err());
    }

    @Test
    void aPermissionRefusalIsUnavailableAndOtherRefusalsAreInternal() {
        StringWriter err = new StringWriter();
        int denied = AdminTarget.failure(new AdminErrorException("permission-denied",
                "uid 1001 may not use this socket; only uid 1000 (the agent's) and root may"), new PrintWriter(err, true));
        assertEquals(69, denied);
        assertEquals("sentinel-lua-agent: the agent refused the command (permission-denied): uid 1001 may not use "
                + "this socket; only uid 1000 (the agent's) and root may\n", err.toString());
        int internal = AdminTarget.failure(new AdminErrorException("internal-error", "reload failed: boom"),
                new PrintWriter(new StringWriter(), true));
        assertEquals(1, internal);
    }

    @Test
    void helpListsTheExitCodes() {
        CliRun run = CliRun.of("reload", "--help");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("78   reload rejected (script problems)"), run.out());
    }
}
