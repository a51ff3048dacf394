package io.zentinel.sentinel.lua.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The event file format of {@code test}; every rejection message asserted word for word. */
class TestEventTest {
    private static final long MAX_BODY = 1024;

    private static TestEvent.Parsed parse(String json) throws TestEvent.EventFileException {
        return TestEvent.parse(json.getBytes(StandardCharsets.UTF_8), MAX_BODY);
    }

    private static String rejection(String json) {
        return assertThrows(TestEvent.EventFileException.class, () -> parse(json)).getMessage();
    }

    @Test
    void requestHeadersEventFillsTheRequestWithDefaultsForWhatIsLeftOut() throws Exception {
        TestEvent.Parsed parsed = parse("""
                {"phase":"request_headers","method":"GET","uri":"/api/x?id=1",
                 "headers":{"Authorization":"Bearer x","accept":["text/html","*/*"]},"client_ip":"1.2.3.4"}
                """);
        HookCall call = parsed.call();
        assertEquals(TestEvent.EventPhase.REQUEST_HEADERS, parsed.phase());
        assertEquals(Phase.PHASE_REQUEST_HEADERS, call.getPhase());
        assertEquals("test-event", call.getCorrelationId());
        assertEquals("GET", call.getRequest().getMethod());
        assertEquals("/api/x?id=1", call.getRequest().getUri());
        assertEquals("1.2.3.4", call.getRequest().getClientIp());
        assertEquals("HTTP/1.1", call.getRequest().getProtocol());
        assertEquals("test-event", call.getRequest().getRequestId());
        assertEquals(List.of(
                Header.newBuilder().setName("authorization").addValues("Bearer x").build(),
                Header.newBuilder().setName("accept").addValues("text/html").addValues("*/*").build()),
                HeaderList.parseFrom(call.getRequest().getHeaderList()).getHeadersList());
        assertFalse(call.hasResponse());
        assertFalse(call.hasChunk());
        assertTrue(call.getCtx().isEmpty());
    }

    @Test
    void minimalRequestEventIsGetSlashFromLocalhost() throws Exception {
        HookCall call = parse("{\"phase\":\"request_headers\"}").call();
        assertEquals("GET", call.getRequest().getMethod());
        assertEquals("/", call.getRequest().getUri());
        assertEquals("127.0.0.1", call.getRequest().getClientIp());
    }

    @Test
    void responseEventsCarryTheRequestTheStatusAndCtx() throws Exception {
        HookCall call = parse("""
                {"phase":"response_headers","status":404,"headers":{"Content-Type":"text/html"},
                 "request":{"method":"POST","uri":"/form","client_port":51514},"ctx":{"user":"alice"},
                 "correlation_id":"r-7"}
                """).call();
        assertEquals(Phase.PHASE_RESPONSE_HEADERS, call.getPhase());
        assertEquals(404, call.getResponse().getStatus());
        assertEquals("content-type", HeaderList.parseFrom(call.getResponse().getHeaderList()).getHeaders(0).getName());
        assertEquals("POST", call.getRequest().getMethod());
        assertEquals(51514, call.getRequest().getClientPort());
        assertEquals("r-7", call.getCorrelationId());
        assertEquals("{\"user\":\"alice\"}", call.getCtx().toStringUtf8());
    }

    @Test
    void bodyEventsCarryTheWholeBodyAsTheLastChunk() throws Exception {
        HookCall text = parse("{\"phase\":\"request_body\",\"method\":\"POST\",\"body\":\"héllo\"}").call();
        assertEquals(Phase.PHASE_REQUEST_BODY, text.getPhase());
        assertEquals("héllo", text.getChunk().getData().toStringUtf8());
        assertEquals(ByteString.EMPTY, text.getChunk().getBody(), "a body of one chunk is sent as its data");
        assertTrue(text.getChunk().getIsLast() && text.getChunk().getComplete());
        HookCall binary = parse("{\"phase\":\"response_body\",\"status\":200,\"body_base64\":\"AAEC\"}").call();
        assertEquals(3, binary.getChunk().getData().size());
        assertEquals(200, binary.getResponse().getStatus());
    }

    @Test
    void rejectsMalformedFilesNamingTheMemberAndWhatIsAllowed() {
        assertEquals("must be a JSON object with a \"phase\" member (was an array)", rejection("[]"));
        assertEquals("phase: missing; one of request_headers, request_body, response_headers, response_body",
                rejection("{}"));
        assertEquals("phase: must be one of request_headers, request_body, response_headers, response_body"
                + " (was \"request\")", rejection("{\"phase\":\"request\"}"));
        assertEquals("metod: unknown member for request_headers (allowed: phase, correlation_id, ctx, method, uri,"
                + " headers, client_ip, client_port, protocol, route_id, upstream_id, server_name, tls_version,"
                + " tls_cipher, traceparent, request_id, timestamp)",
                rejection("{\"phase\":\"request_headers\",\"metod\":\"GET\"}"));
        assertEquals("body: unknown member for request_headers (allowed: phase, correlation_id, ctx, method, uri,"
                + " headers, client_ip, client_port, protocol, route_id, upstream_id, server_name, tls_version,"
                + " tls_cipher, traceparent, request_id, timestamp)",
                rejection("{\"phase\":\"request_headers\",\"body\":\"x\"}"));
        assertEquals("headers.accept: must be a string or an array of strings (was 3)",
                rejection("{\"phase\":\"request_headers\",\"headers\":{\"accept\":3}}"));
        assertEquals("headers.accept[1]: must be a string (was null)",
                rejection("{\"phase\":\"request_headers\",\"headers\":{\"accept\":[\"a\",null]}}"));
        assertEquals("headers: must be an object of name: value (was an array)",
                rejection("{\"phase\":\"request_headers\",\"headers\":[]}"));
        assertEquals("headers.bad name: not a valid header name",
                rejection("{\"phase\":\"request_headers\",\"headers\":{\"bad name\":\"x\"}}"));
        assertEquals("uri: must be a path such as /api/x?id=1 (was \"api\")",
                rejection("{\"phase\":\"request_headers\",\"uri\":\"api\"}"));
        assertEquals("method: must be a string (was 1)", rejection("{\"phase\":\"request_headers\",\"method\":1}"));
        assertEquals("client_port: must be an integer from 0 to 65535 (was 70000)",
                rejection("{\"phase\":\"request_headers\",\"client_port\":70000}"));
        assertEquals("ctx: must be an object, sentinel.ctx as earlier phases left it (was a string)",
                rejection("{\"phase\":\"request_headers\",\"ctx\":\"x\"}"));
    }

    @Test
    void rejectsResponseEventsWithoutAUsableStatusOrRequest() {
        assertEquals("status: missing; the response status, 100 to 599, is required for response_headers",
                rejection("{\"phase\":\"response_headers\"}"));
        assertEquals("status: must be an integer from 100 to 599 (was 42)",
                rejection("{\"phase\":\"response_headers\",\"status\":42}"));
        assertEquals("status: must be an integer from 100 to 599 (was \"200\")",
                rejection("{\"phase\":\"response_headers\",\"status\":\"200\"}"));
        assertEquals("request: must be an object of request members (was a string)",
                rejection("{\"phase\":\"response_headers\",\"status\":200,\"request\":\"GET /\"}"));
        assertEquals("request.path: unknown member in request (allowed: method, uri, headers, client_ip,"
                + " client_port, protocol, route_id, upstream_id, server_name, tls_version, tls_cipher, traceparent,"
                + " request_id, timestamp)",
                rejection("{\"phase\":\"response_headers\",\"status\":200,\"request\":{\"path\":\"/\"}}"));
        assertEquals("request.headers.x: must be a string or an array of strings (was true)",
                rejection("{\"phase\":\"response_headers\",\"status\":200,\"request\":{\"headers\":{\"x\":true}}}"));
    }

    @Test
    void rejectsBodiesThatCannotBeUsed() {
        assertEquals("body cannot be combined with body_base64: give one of them",
                rejection("{\"phase\":\"request_body\",\"body\":\"a\",\"body_base64\":\"YQ==\"}"));
        assertTrue(rejection("{\"phase\":\"request_body\",\"body_base64\":\"%%%\"}")
                .startsWith("body_base64: not valid Base64: "));
        assertEquals("body (1025 bytes) exceeds the maximum allowed (1024, from 'scripts.max-body-bytes')",
                rejection("{\"phase\":\"request_body\",\"body\":\"" + "x".repeat(1025) + "\"}"));
    }

    @Test
    void rejectsInvalidJsonWithItsPosition() {
        String message = rejection("{\"phase\":\n \"request_headers\",}");
        assertTrue(message.startsWith("not valid JSON (line 2, column "), message);
        assertTrue(rejection("{\"phase\":\"request_headers\",\"phase\":\"request_body\"}")
                .contains("Duplicate field 'phase'"));
    }
}
