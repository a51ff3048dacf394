package io.zentinel.sentinel.lua.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol.Command;
import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol.ErrorCode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol.RequestException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AdminProtocolTest {

    private static Command parse(String line) throws RequestException {
        return AdminProtocol.parseRequest(line.getBytes(StandardCharsets.UTF_8));
    }

    private static RequestException rejected(String line, ErrorCode code) {
        RequestException e = assertThrows(RequestException.class, () -> parse(line));
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    @Test
    void parsesTheTwoCommands() throws Exception {
        assertEquals(Command.STATUS, parse("{\"command\":\"status\"}"));
        assertEquals(Command.RELOAD, parse(" { \"command\" : \"reload\" } \r"));
    }

    @Test
    void rejectsAnUnknownCommandNamingTheKnownOnes() {
        assertEquals("unknown command \"restart\" (known: status, reload)",
                rejected("{\"command\":\"restart\"}", ErrorCode.UNKNOWN_COMMAND).getMessage());
        assertEquals("unknown command \"STATUS\" (known: status, reload)",
                rejected("{\"command\":\"STATUS\"}", ErrorCode.UNKNOWN_COMMAND).getMessage());
    }

    @Test
    void rejectsMalformedRequestsSayingWhatIsWrong() {
        assertEquals("empty request; expected {\"command\":\"status\"} or {\"command\":\"reload\"}",
                rejected("", ErrorCode.MALFORMED_REQUEST).getMessage());
        assertEquals("request must be a JSON object, e.g. {\"command\":\"status\"} (was array)",
                rejected("[\"status\"]", ErrorCode.MALFORMED_REQUEST).getMessage());
        assertEquals("request must be a JSON object, e.g. {\"command\":\"status\"} (was string)",
                rejected("\"status\"", ErrorCode.MALFORMED_REQUEST).getMessage());
        assertEquals("request has no \"command\" member", rejected("{}", ErrorCode.MALFORMED_REQUEST).getMessage());
        assertEquals("\"command\" must be a string (was 1)",
                rejected("{\"command\":1}", ErrorCode.MALFORMED_REQUEST).getMessage());
        assertEquals("unknown member \"verbose\" in the request (allowed: \"command\")",
                rejected("{\"command\":\"status\",\"verbose\":true}", ErrorCode.MALFORMED_REQUEST).getMessage());
        String notJson = rejected("status", ErrorCode.MALFORMED_REQUEST).getMessage();
        assertTrue(notJson.startsWith("request is not valid JSON: Unrecognized token 'status'"), notJson);
        String duplicate = rejected("{\"command\":\"status\",\"command\":\"reload\"}", ErrorCode.MALFORMED_REQUEST)
                .getMessage();
        assertTrue(duplicate.startsWith("request is not valid JSON: Duplicate field 'command'"), duplicate);
        String trailing = rejected("{\"command\":\"status\"} {}", ErrorCode.MALFORMED_REQUEST).getMessage();
        assertTrue(trailing.startsWith("request is not valid JSON: Trailing token"), trailing);
        assertEquals("\"command\" must be a string (was an object)",
                rejected("{\"command\":{\"name\":\"status\"}}", ErrorCode.MALFORMED_REQUEST).getMessage());
        assertEquals("unknown member \"verbose\" in the request (allowed: \"command\")",
                rejected("{\"verbose\":[true],\"command\":1}", ErrorCode.MALFORMED_REQUEST).getMessage());
        String nestedDuplicate = rejected("{\"command\":\"status\",\"x\":{\"a\":1,\"a\":2}}",
                ErrorCode.MALFORMED_REQUEST).getMessage();
        assertTrue(nestedDuplicate.startsWith("request is not valid JSON: Duplicate field 'a'"), nestedDuplicate);
        String unclosed = rejected("{\"command\":\"status\"", ErrorCode.MALFORMED_REQUEST).getMessage();
        assertTrue(unclosed.startsWith("request is not valid JSON: Unexpected end-of-input"), unclosed);
        String trailingAfterArray = rejected("[1] 2", ErrorCode.MALFORMED_REQUEST).getMessage();
        assertTrue(trailingAfterArray.startsWith("request is not valid JSON: Trailing token"), trailingAfterArray);
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] line = {'{', '"', 'c', (byte) 0xC3, '"', '}'};
        RequestException e = assertThrows(RequestException.class, () -> AdminProtocol.parseRequest(line));
        assertEquals(ErrorCode.MALFORMED_REQUEST, e.code());
        assertEquals("request is not valid UTF-8", e.getMessage());
    }

    @Test
    void writesOneLineResponses() throws Exception {
        String ok = new String(AdminProtocol.ok(Command.RELOAD, Reports.accepted()), StandardCharsets.UTF_8);
        assertEquals(ok.length() - 1, ok.indexOf('\n'), "exactly one newline, at the end");
        JsonNode node = AdminJson.mapper().readTree(ok);
        assertTrue(node.get("ok").asBoolean());
        assertEquals("reload", node.get("command").asText());
        assertTrue(node.at("/reload/accepted").asBoolean());
        assertEquals(1834, node.at("/reload/duration_ms").asLong());
        assertEquals("my-script", node.at("/reload/scripts/0/name").asText());

        assertEquals("{\"ok\":false,\"error\":{\"code\":\"unknown-command\",\"message\":\"nope\"}}\n",
                new String(AdminProtocol.error(ErrorCode.UNKNOWN_COMMAND, "nope"), StandardCharsets.UTF_8));
        assertEquals("{\"command\":\"status\"}\n",
                new String(AdminProtocol.request(Command.STATUS), StandardCharsets.UTF_8));
    }

    @Test
    void statusReportSurvivesTheRoundTripWithSnakeCaseNames() throws Exception {
        StatusReport report = Reports.status(Reports.rejected());
        JsonNode response = AdminJson.mapper().readTree(AdminProtocol.ok(Command.STATUS, report));
        JsonNode json = response.get("status");
        assertEquals("/run/lua-admin.sock", json.at("/agent/admin_socket_path").asText());
        assertEquals(50_331_648L, json.at("/workers/0/rss_bytes").asLong());
        assertTrue(json.at("/workers/1/rss_bytes").isNull());
        assertTrue(json.at("/workers/0/cgroup").isNull());
        assertEquals(3, json.at("/last_reload/problems/0/line").asInt());
        assertEquals(3, json.at("/totals/failures/script-error").asLong());
        assertFalse(json.at("/last_reload").has("reasons"), "derived methods are not members");
        assertFalse(json.at("/last_reload/problems/0").has("text"), "derived methods are not members");
        assertEquals(report, AdminClient.convert(json, StatusReport.class));
    }

    @Test
    void readersIgnoreMembersTheyDoNotKnow() throws Exception {
        ObjectNode json = AdminJson.mapper().valueToTree(Reports.accepted());
        json.put("added_later", 1);
        assertEquals(Reports.accepted(), AdminClient.convert(json, ReloadReport.class));
    }
}
