package io.zentinel.sentinel.lua.supervisor.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse.HeaderOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProxyCodecTest {
    private static final String ID = "Jx7Qm2Rp4Kd";

    private final ProxyCodec codec = new ProxyCodec();

    // ---- golden frames: self-check of the copied text ---------------------------------------------

    @Test
    void goldenHeadersAgreeWithTheirPayloads() {
        for (GoldenFrames.Golden g : List.of(GoldenFrames.HANDSHAKE_REQUEST, GoldenFrames.HANDSHAKE_RESPONSE,
                GoldenFrames.REQUEST_HEADERS, GoldenFrames.ALLOW_WITH_HEADER_OPS, GoldenFrames.BLOCK,
                GoldenFrames.REQUEST_BODY_CHUNK, GoldenFrames.RESPONSE_HEADERS, GoldenFrames.PING,
                GoldenFrames.PONG, GoldenFrames.CANCEL)) {
            byte[] h = g.header();
            int length = ((h[0] & 0xFF) << 24) | ((h[1] & 0xFF) << 16) | ((h[2] & 0xFF) << 8) | (h[3] & 0xFF);
            assertEquals(g.payload().length + 1, length, g.headerHex());
            StrictJson.parse(g.payload()); // every golden payload is strict JSON
        }
    }

    // ---- golden frames: decoding what the proxy sends -------------------------------------------

    @Test
    void decodesGoldenRequestHeadersReadFromTheWire() throws IOException {
        byte[] frame = readOneFrame(GoldenFrames.REQUEST_HEADERS.wire());
        assertEquals(0x10, frame[0]);

        var event = assertInstanceOf(AgentEvent.RequestHeaders.class, codec.decodeEvent(frame));

        assertEquals(ID, event.correlationId());
        assertEquals("GET", event.method());
        assertEquals("/api/users?id=42", event.uri());
        assertEquals(List.of("accept", "host", "user-agent", "x-correlation-id", "x-forwarded-by"),
                new ArrayList<>(event.headers().toMap().keySet()), "header order as sent");
        assertEquals(List.of("*/*"), event.headers().toMap().get("accept"));
        assertEquals(List.of("curl/8.5.0"), event.headers().toMap().get("user-agent"));
        assertEquals(List.of("Zentinel"), event.headers().toMap().get("x-forwarded-by"));
        assertEquals(new AgentEvent.RequestMetadata("127.0.0.1:51514", 0, "HTTP/1.1",
                "6f1c2a9e-4b7d-4e21-9a53-0c8d2f6b1e77", "api", null, "2026-07-01T09:30:00.123456789+00:00",
                null, null, null, null), event.metadata());
    }

    @Test
    void decodesGoldenRequestBodyChunkWithItsBase64Data() throws IOException {
        var event = assertInstanceOf(AgentEvent.RequestBodyChunk.class,
                codec.decodeEvent(readOneFrame(GoldenFrames.REQUEST_BODY_CHUNK.wire())));

        assertEquals(ID, event.correlationId());
        assertEquals("{\"name\":\"alice\"}", new String(event.data(), StandardCharsets.UTF_8));
        assertEquals(0, event.chunkIndex());
        assertTrue(event.isLast());
        assertEquals(16, event.bytesReceived());
        assertEquals(16L, event.totalSize());
    }

    @Test
    void decodesGoldenResponseHeaders() throws IOException {
        var event = assertInstanceOf(AgentEvent.ResponseHeaders.class,
                codec.decodeEvent(readOneFrame(GoldenFrames.RESPONSE_HEADERS.wire())));

        assertEquals(ID, event.correlationId());
        assertEquals(200, event.status());
        assertEquals(Map.of("content-length", List.of("27"), "content-type", List.of("application/json")),
                event.headers().toMap());
    }

    @Test
    void decodesGoldenHandshakeRequest() throws IOException {
        HandshakeRequest request = codec.decodeHandshake(readOneFrame(GoldenFrames.HANDSHAKE_REQUEST.wire()));

        assertEquals(new HandshakeRequest(List.of(2L), "zentinel-proxy", "0.6.20", List.of("json")), request);
        assertTrue(request.supportsVersion(2));
        assertTrue(request.offersJson());
    }

    @Test
    void decodesGoldenCancel() throws IOException {
        assertEquals(ID, codec.decodeCancel(readOneFrame(GoldenFrames.CANCEL.wire())));
    }

    @Test
    void answersGoldenPingWithGoldenPongByteForByte() throws IOException {
        byte[] ping = readOneFrame(GoldenFrames.PING.wire());

        byte[] wire = writeOneFrame(ProxyCodec.PONG, codec.encodePong(ping));

        assertArrayEquals(GoldenFrames.PONG.wire(), wire);
    }

    // ---- golden frames: encoding our answers ------------------------------------------------------

    @Test
    void encodesGoldenAllowWithHeaderOpsByteForByte() throws IOException {
        AgentResponse response = new AgentResponse(ID, Decision.ALLOW,
                List.of(HeaderOp.set("x-user-id", "42"), HeaderOp.remove("cookie")),
                List.of(HeaderOp.add("x-inspected-by", "java-agent")), Map.of(), AgentResponse.Audit.EMPTY,
                false, null, null, null);

        byte[] payload = codec.encodeResponse(response);
        byte[] wire = writeOneFrame(ProxyCodec.AGENT_RESPONSE, payload);

        assertEquals(StrictJson.parse(GoldenFrames.ALLOW_WITH_HEADER_OPS.payload()), StrictJson.parse(payload));
        assertEquals(hex(GoldenFrames.ALLOW_WITH_HEADER_OPS.header()), hex(wire, 5));
        assertEquals(GoldenFrames.ALLOW_WITH_HEADER_OPS.payloadText(), new String(payload, StandardCharsets.UTF_8));
        assertArrayEquals(GoldenFrames.ALLOW_WITH_HEADER_OPS.wire(), wire);
    }

    @Test
    void encodesGoldenBlockByteForByte() throws IOException {
        AgentResponse response = new AgentResponse(ID,
                new Decision.Block(403, "Forbidden", Map.of("content-type", "text/plain")), List.of(), List.of(),
                Map.of(), new AgentResponse.Audit(List.of("waf"), List.of("942100"), List.of()), false,
                null, null, null);

        byte[] payload = codec.encodeResponse(response);
        byte[] wire = writeOneFrame(ProxyCodec.AGENT_RESPONSE, payload);

        assertEquals(StrictJson.parse(GoldenFrames.BLOCK.payload()), StrictJson.parse(payload));
        assertEquals("00 00 01 93 20", hex(wire, 5));
        assertArrayEquals(GoldenFrames.BLOCK.wire(), wire);
    }

    @Test
    void encodesHandshakeResponseLikeGoldenExceptThatWeDoNotClaimConfigPush() throws IOException {
        AgentCapabilities caps = new AgentCapabilities("zentinel-lua-agent", "Zentinel Lua Agent", "0.2.0",
                List.of(1, 3), 100, 10_485_760, 65_536, true, true, false);

        byte[] payload = codec.encodeHandshakeResponse(caps, true, null);
        byte[] wire = writeOneFrame(ProxyCodec.HANDSHAKE_RESPONSE, payload);

        ObjectNode expected = (ObjectNode) StrictJson.parse(GoldenFrames.HANDSHAKE_RESPONSE.payload());
        ((ObjectNode) expected.path("capabilities").path("features")).put("config_push", false);
        assertEquals(expected, StrictJson.parse(payload));
        // same member order and formatting: the golden text with "true" -> "false", one byte longer
        assertEquals(GoldenFrames.HANDSHAKE_RESPONSE.payloadText().replace("\"config_push\":true", "\"config_push\":false"),
                new String(payload, StandardCharsets.UTF_8));
        assertEquals("00 00 01 e3 02", hex(wire, 5));
    }

    @Test
    void handshakeResponseHasEveryRequiredMemberWithTheRightType() {
        AgentCapabilities caps = new AgentCapabilities("a", "b", "c", List.of(1, 2, 3, 4, 7), 64, 1, 2, false, false, true);

        JsonNode r = StrictJson.parse(codec.encodeHandshakeResponse(caps, true, null));

        assertEquals(2, r.get("protocol_version").intValue());
        assertTrue(r.get("protocol_version").isIntegralNumber());
        assertTrue(r.get("success").booleanValue());
        assertTrue(r.get("error").isNull());
        assertEquals("json", r.get("encoding").textValue());
        JsonNode c = r.get("capabilities");
        assertEquals("a", c.get("agent_id").textValue());
        assertEquals("b", c.get("name").textValue());
        assertEquals("c", c.get("version").textValue());
        assertEquals("[1,2,3,4,7]", c.get("supported_events").toString());
        List<String> features = List.of("streaming_body", "websocket", "guardrails", "config_push", "metrics_export",
                "concurrent_requests", "cancellation", "flow_control", "health_reporting");
        assertEquals(features, fieldNames(c.get("features")));
        for (String f : features) {
            JsonNode v = c.get("features").get(f);
            assertTrue(f.equals("concurrent_requests") ? v.isIntegralNumber() : v.isBoolean(), f);
        }
        assertEquals(64, c.get("features").get("concurrent_requests").intValue());
        assertTrue(c.get("features").get("streaming_body").booleanValue());
        assertEquals(List.of("max_body_size", "max_concurrency", "preferred_chunk_size"), fieldNames(c.get("limits")));
        assertEquals("{\"max_body_size\":1,\"max_concurrency\":64,\"preferred_chunk_size\":2}", c.get("limits").toString());
    }

    @Test
    void refusingHandshakeResponseStillCarriesCompleteCapabilities() {
        AgentCapabilities caps = new AgentCapabilities("a", "b", "c", List.of(1), 1, 0, 0, false, false, false);

        JsonNode r = StrictJson.parse(codec.encodeHandshakeResponse(caps, false, "version 2 only"));

        assertFalse(r.get("success").booleanValue());
        assertEquals("version 2 only", r.get("error").textValue());
        assertEquals(9, r.get("capabilities").get("features").size());
        assertEquals(3, r.get("capabilities").get("limits").size());
        assertEquals("json", r.get("encoding").textValue());
    }

    // ---- tolerant decoding ------------------------------------------------------------------------

    @Test
    void decodesMembersInAnyOrder() throws IOException {
        JsonNode golden = StrictJson.parse(GoldenFrames.REQUEST_HEADERS.payload());
        ObjectNode reversed = StrictJson.mapper().createObjectNode();
        List<String> names = fieldNames(golden);
        Collections.reverse(names);
        for (String name : names) {
            JsonNode value = golden.get(name);
            if (name.equals("metadata")) {
                ObjectNode md = StrictJson.mapper().createObjectNode();
                List<String> mdNames = fieldNames(value);
                Collections.reverse(mdNames);
                mdNames.forEach(n -> md.set(n, value.get(n)));
                reversed.set(name, md);
            } else {
                reversed.set(name, value);
            }
        }

        AgentEvent fromReversed = codec.decodeEvent(frame(0x10, reversed.toString()));

        assertEquals(codec.decodeEvent(GoldenFrames.REQUEST_HEADERS.frame()), fromReversed);
    }

    @Test
    void ignoresUnknownMembersAtEveryLevel() {
        String json = "{\"future\":{\"a\":[1,2,{\"b\":null}],\"c\":\"d\"},\"correlation_id\":\"x1\",\"method\":\"POST\","
                + "\"extra_number\":1.5e300,\"uri\":\"/\",\"headers\":{\"a\":[\"1\"]},"
                + "\"metadata\":{\"new_thing\":[true,false],\"client_ip\":\"[::1]:5\",\"deep\":{\"x\":{\"y\":[]}}},"
                + "\"trailing_flag\":true}";

        var event = assertInstanceOf(AgentEvent.RequestHeaders.class, codec.decodeEvent(frame(0x10, json)));

        assertEquals("x1", event.correlationId());
        assertEquals("POST", event.method());
        assertEquals(Map.of("a", List.of("1")), event.headers().toMap());
        assertEquals("[::1]:5", event.metadata().clientIp());
    }

    @Test
    void treatsNullAndAbsentOptionalMembersAlike() {
        String withNulls = "{\"correlation_id\":\"n\",\"headers\":null,\"metadata\":null,\"method\":\"GET\",\"uri\":\"/\"}";
        String absent = "{\"correlation_id\":\"n\",\"method\":\"GET\",\"uri\":\"/\"}";

        var a = assertInstanceOf(AgentEvent.RequestHeaders.class, codec.decodeEvent(frame(0x10, withNulls)));
        var b = assertInstanceOf(AgentEvent.RequestHeaders.class, codec.decodeEvent(frame(0x10, absent)));

        assertEquals(a, b);
        assertEquals(EventHeaders.NONE, a.headers());
        assertEquals(EventDecoder.NO_METADATA, a.metadata());

        var chunk = assertInstanceOf(AgentEvent.ResponseBodyChunk.class, codec.decodeEvent(frame(0x13,
                "{\"bytes_sent\":null,\"chunk_index\":null,\"correlation_id\":\"n\",\"data\":\"\",\"is_last\":null,"
                        + "\"total_size\":null}")));
        assertEquals(0, chunk.data().length);
        assertNull(chunk.totalSize());
        assertFalse(chunk.isLast());
    }

    @Test
    void decodesTraceparentWhenPresentAndPortAsInteger() {
        String json = "{\"correlation_id\":\"t\",\"metadata\":{\"client_port\":8080,\"traceparent\":"
                + "\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\",\"upstream_id\":\"u1\"},"
                + "\"method\":\"GET\",\"uri\":\"/\"}";

        var event = assertInstanceOf(AgentEvent.RequestHeaders.class, codec.decodeEvent(frame(0x10, json)));

        assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", event.metadata().traceparent());
        assertEquals(8080, event.metadata().clientPort());
        assertEquals("u1", event.metadata().upstreamId());
    }

    @Test
    void usesMetadataCorrelationIdWhenTheTopLevelOneIsMissing() {
        String json = "{\"metadata\":{\"correlation_id\":\"from-meta\"},\"method\":\"GET\",\"uri\":\"/\"}";

        AgentEvent event = codec.decodeEvent(frame(0x10, json));

        assertInstanceOf(AgentEvent.RequestHeaders.class, event);
        assertEquals("from-meta", event.correlationId());
    }

    @Test
    void keepsRepeatedHeaderValuesInOrderAndMergesRepeatedNames() {
        String json = "{\"correlation_id\":\"h\",\"headers\":{\"set-cookie\":[\"a=1\",null,\"b=2\"],\"x\":\"single\","
                + "\"set-cookie\":[\"c=3\"],\"empty\":[],\"nulls\":[null]},\"method\":\"GET\",\"uri\":\"/\"}";

        var event = assertInstanceOf(AgentEvent.RequestHeaders.class, codec.decodeEvent(frame(0x10, json)));

        assertEquals(List.of("a=1", "b=2", "c=3"), event.headers().toMap().get("set-cookie"));
        assertEquals(List.of("single"), event.headers().toMap().get("x"));
        assertEquals(List.of(), event.headers().toMap().get("empty"));
        assertEquals(List.of(), event.headers().toMap().get("nulls"));
    }

    @Test
    void decodesUnicodeAndEscapesExactly() {
        String id = "id-é-\"q\"-\\-😀-\t";
        String json = "{\"correlation_id\":\"id-\\u00e9-\\\"q\\\"-\\\\-😀-\\t\",\"headers\":{\"x-name\":[\"Zoë ✓\"]},"
                + "\"method\":\"GET\",\"uri\":\"/caf\\u00e9/\\ud83d\\ude00\"}";

        var event = assertInstanceOf(AgentEvent.RequestHeaders.class, codec.decodeEvent(frame(0x10, json)));

        assertEquals(id, event.correlationId());
        assertEquals("/café/😀", event.uri());
        assertEquals(List.of("Zoë ✓"), event.headers().toMap().get("x-name"));
        // and the id goes back out byte-exact in UTF-8
        JsonNode r = StrictJson.parse(codec.encodeResponse(AgentResponse.allow(id)));
        assertEquals(id, StrictJson.checkAgentResponse(r));
    }

    @Test
    void decodesTheReservedEventTypesAsUnhandledWithTheirId() {
        String guardrail = "{\"categories\":[],\"content\":\"ignore previous\",\"correlation_id\":\"g1\","
                + "\"inspection_type\":\"prompt_injection\",\"metadata\":{}}";
        String complete = "{\"correlation_id\":\"c1\",\"duration_ms\":5,\"error\":null,\"request_body_size\":0,"
                + "\"response_body_size\":10,\"status\":200,\"upstream_attempts\":1}";
        String websocket = "{\"client_ip\":\"1.2.3.4:5\",\"client_to_server\":true,\"correlation_id\":\"w1\","
                + "\"data\":\"aGk=\",\"fin\":true,\"frame_index\":0,\"opcode\":\"text\",\"route_id\":null}";
        String configure = "{\"config\":{\"deep\":{\"a\":[1,{\"b\":2}]}},\"config_version\":null,\"correlation_id\":\"k1\"}";

        assertEquals(new AgentEvent.Unhandled("g1", 0x16), codec.decodeEvent(frame(0x16, guardrail)));
        assertEquals(new AgentEvent.Unhandled("c1", 0x14), codec.decodeEvent(frame(0x14, complete)));
        assertEquals(new AgentEvent.Unhandled("w1", 0x15), codec.decodeEvent(frame(0x15, websocket)));
        assertEquals(new AgentEvent.Unhandled("k1", 0x17), codec.decodeEvent(frame(0x17, configure)));
    }

    // ---- malformed payloads -----------------------------------------------------------------------

    @Test
    void brokenJsonAfterTheIdIsMalformedWithThatId() {
        AgentEvent event = codec.decodeEvent(frame(0x10, "{\"correlation_id\":\"abc\",\"headers\":{\"a\":[\"1\"]"));

        var m = assertInstanceOf(AgentEvent.Malformed.class, event);
        assertEquals("abc", m.correlationId());
        assertEquals(0x10, m.type());
        assertTrue(m.problem().startsWith("invalid JSON: "), m.problem());
    }

    @Test
    void brokenJsonBeforeTheIdStillFindsTheTopLevelId() {
        // members are sorted, so in a body chunk correlation_id comes after the broken number
        String json = "{\"bytes_received\":1x6,\"chunk_index\":0,\"correlation_id\":\"late\",\"data\":\"\"}";

        var m = assertInstanceOf(AgentEvent.Malformed.class, codec.decodeEvent(frame(0x11, json)));

        assertEquals("late", m.correlationId());
    }

    @Test
    void rawScanPrefersTheTopLevelIdOverMetadataAndResolvesEscapes() {
        String json = "{\"headers\":{\"x\":[\"1\"]},\"metadata\":{\"correlation_id\":\"meta\"},,"
                + "\"correlation_id\":\"t\\u006fp\"}";

        var m = assertInstanceOf(AgentEvent.Malformed.class, codec.decodeEvent(frame(0x10, json)));

        assertEquals("top", m.correlationId());
    }

    @Test
    void rawScanFallsBackToMetadataId() {
        String json = "{\"headers\":{\"x\":[\"1\"]},\"metadata\":{\"client_port\":0,\"correlation_id\":\"meta\"}]";

        var m = assertInstanceOf(AgentEvent.Malformed.class, codec.decodeEvent(frame(0x10, json)));

        assertEquals("meta", m.correlationId());
    }

    @Test
    void aHeaderNamedCorrelationIdIsNotMistakenForTheId() {
        String json = "{\"headers\":{\"correlation_id\":\"not-it\"},{{{";

        var m = assertInstanceOf(AgentEvent.Malformed.class, codec.decodeEvent(frame(0x10, json)));

        assertEquals("not-it", m.correlationId(), "nested: only used as the last resort");
        var top = assertInstanceOf(AgentEvent.Malformed.class, codec.decodeEvent(frame(0x10,
                "{\"headers\":{\"correlation_id\":\"not-it\"},\"correlation_id\":\"it\",{{{")));
        assertEquals("it", top.correlationId());
    }

    @Test
    void wrongJsonTypesAreMalformedAndNamedInTheProblem() {
        assertProblem(0x10, "{\"correlation_id\":\"w\",\"method\":42,\"uri\":\"/\"}",
                "w", "method must be a string (was an integer)");
        assertProblem(0x12, "{\"correlation_id\":\"w\",\"status\":200.0}",
                "w", "status must be an integer (was a floating-point number)");
        assertProblem(0x12, "{\"correlation_id\":\"w\",\"status\":99999999999}",
                "w", "status is out of range (was 99999999999)");
        assertProblem(0x10, "{\"correlation_id\":\"w\",\"method\":\"GET\",\"uri\":\"/\",\"headers\":{\"a\":1}}",
                "w", "headers.a must be an array of strings (was an integer)");
        assertProblem(0x10, "{\"correlation_id\":\"w\",\"method\":\"GET\",\"uri\":\"/\",\"headers\":{\"a\":[\"x\",true]}}",
                "w", "headers.a[] must be a string (was a boolean)");
        assertProblem(0x10, "{\"correlation_id\":\"w\",\"method\":\"GET\",\"uri\":\"/\",\"metadata\":[]}",
                "w", "metadata must be an object (was an array)");
        assertProblem(0x11, "{\"correlation_id\":\"w\",\"data\":\"aGk=\",\"is_last\":\"yes\"}",
                "w", "is_last must be a boolean (was a string)");
        assertProblem(0x10, "{\"correlation_id\":7,\"method\":\"GET\",\"uri\":\"/\"}",
                "", "correlation_id must be a string (was an integer)");
    }

    @Test
    void missingRequiredMembersAreMalformed() {
        assertProblem(0x10, "{\"correlation_id\":\"m\",\"uri\":\"/\"}", "m", "missing member 'method'");
        assertProblem(0x11, "{\"correlation_id\":\"m\",\"is_last\":true}", "m", "missing member 'data'");
        assertProblem(0x12, "{\"correlation_id\":\"m\"}", "m", "missing member 'status'");
        assertProblem(0x14, "{\"status\":200}", "", "missing member 'correlation_id'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "[]", "null", "\"s\"", "42", "{", "}", "{\"a\"}"})
    void payloadsThatAreNotAnObjectAreMalformedWithAnEmptyId(String json) {
        var m = assertInstanceOf(AgentEvent.Malformed.class, codec.decodeEvent(frame(0x10, json)));

        assertEquals("", m.correlationId());
        assertFalse(m.problem().isEmpty());
    }

    @Test
    void trailingContentIsMalformed() {
        assertProblem(0x12, "{\"correlation_id\":\"tr\",\"status\":200}{}", "tr",
                "unexpected content after the JSON object: an object");
    }

    @Test
    void badBase64IsMalformedWithTheId() {
        var m = assertInstanceOf(AgentEvent.Malformed.class, codec.decodeEvent(frame(0x13,
                "{\"correlation_id\":\"b64\",\"data\":\"not base64!\",\"is_last\":true}")));

        assertEquals("b64", m.correlationId());
        assertEquals(0x13, m.type());
    }

    @Test
    void acceptsUnpaddedBase64() {
        var chunk = assertInstanceOf(AgentEvent.RequestBodyChunk.class,
                codec.decodeEvent(frame(0x11, "{\"correlation_id\":\"p\",\"data\":\"aGk\"}")));

        assertEquals("hi", new String(chunk.data(), StandardCharsets.US_ASCII));
    }

    @Test
    void invalidUtf8IsMalformed() {
        byte[] prefix = "{\"correlation_id\":\"u8\",\"method\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] suffix = "\",\"uri\":\"/\"}".getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[1 + prefix.length + 2 + suffix.length];
        frame[0] = 0x10;
        System.arraycopy(prefix, 0, frame, 1, prefix.length);
        frame[1 + prefix.length] = (byte) 0xC3; // truncated 2-byte sequence
        frame[2 + prefix.length] = (byte) 0x28;
        System.arraycopy(suffix, 0, frame, 3 + prefix.length, suffix.length);

        var m = assertInstanceOf(AgentEvent.Malformed.class, codec.decodeEvent(frame));

        assertEquals("u8", m.correlationId());
    }

    @Test
    void deeplyNestedUnknownMembersHitTheNestingLimitAndAreMalformed() {
        String json = "{\"correlation_id\":\"deep\",\"x\":" + "[".repeat(1000) + "]".repeat(1000) + "}";

        var m = assertInstanceOf(AgentEvent.Malformed.class, codec.decodeEvent(frame(0x17, json)));

        assertEquals("deep", m.correlationId());
        assertTrue(m.problem().startsWith("limit exceeded: "), m.problem());
    }

    @Test
    void malformedHandshakeIsReportedWithItsReason() {
        IOException e = assertThrows(IOException.class,
                () -> codec.decodeHandshake(frame(0x01, "{\"supported_versions\":\"2\"}")));
        assertEquals("supported_versions must be an array of integers (was a string)", e.getMessage());

        IOException missing = assertThrows(IOException.class, () -> codec.decodeHandshake(frame(0x01, "{}")));
        assertEquals("missing member 'supported_versions'", missing.getMessage());

        assertThrows(IOException.class, () -> codec.decodeHandshake(frame(0x01, "{\"supported_versions\":[-1]}")));
        assertThrows(IOException.class, () -> codec.decodeHandshake(frame(0x01, "nope")));
    }

    @Test
    void handshakeWithoutEncodingsMeansJsonAndOtherVersionsAreVisible() throws IOException {
        HandshakeRequest r = codec.decodeHandshake(frame(0x01, "{\"supported_versions\":[1,3,4294967295]}"));

        assertTrue(r.offersJson());
        assertFalse(r.supportsVersion(2));
        assertEquals(List.of(1L, 3L, 4294967295L), r.supportedVersions());
        assertFalse(codec.decodeHandshake(frame(0x01, "{\"supported_versions\":[2],\"supported_encodings\":[\"msgpack\"]}"))
                .offersJson());
    }

    @Test
    void cancelWithoutIdOrBrokenYieldsBestEffortId() {
        assertEquals("", codec.decodeCancel(frame(0x40, "{\"reason\":1}")));
        assertEquals("c", codec.decodeCancel(frame(0x40, "{\"correlation_id\":\"c\",\"reason\":")));
        assertEquals("", codec.decodeCancel(frame(0x40, "")));
    }

    @Test
    void rejectsFramesOfTheWrongTypeForEachDecoder() {
        assertThrows(IllegalArgumentException.class, () -> codec.decodeEvent(frame(0x20, "{}")));
        assertThrows(IllegalArgumentException.class, () -> codec.decodeEvent(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> codec.decodeHandshake(frame(0x10, "{}")));
        assertThrows(IllegalArgumentException.class, () -> codec.encodePong(frame(0x40, "{}")));
    }

    // ---- encoding AgentResponse ----------------------------------------------------------------

    @Test
    void encodesRedirectAndBlockWithoutBodyOrHeaders() {
        JsonNode redirect = StrictJson.parse(codec.encodeResponse(response("r",
                new Decision.Redirect("https://example.com/login?next=%2F", 302))));
        assertEquals("{\"redirect\":{\"url\":\"https://example.com/login?next=%2F\",\"status\":302}}",
                redirect.get("decision").toString());

        byte[] block = codec.encodeResponse(response("b", new Decision.Block(429, null, null)));
        assertTrue(new String(block, StandardCharsets.UTF_8)
                .startsWith("{\"version\":2,\"decision\":{\"block\":{\"status\":429,\"body\":null,\"headers\":null}},"));
        assertEquals("b", StrictJson.checkAgentResponse(StrictJson.parse(block)));
    }

    @Test
    void encodesEveryOptionalPartWithTheRightJsonTypes() {
        Map<String, String> routing = new LinkedHashMap<>();
        routing.put("guardrail_response", "{\"detected\":false}");
        routing.put("n", "42");
        AgentResponse r = new AgentResponse("all", Decision.ALLOW, List.of(HeaderOp.add("x-a", "1")),
                List.of(HeaderOp.set("x-b", "")), routing,
                new AgentResponse.Audit(List.of("t1", "t2"), List.of("r1"), List.of("c1")), true,
                new AgentResponse.BodyMutation("", 0), new AgentResponse.BodyMutation("aGk=", 3), "drop");

        JsonNode json = StrictJson.parse(codec.encodeResponse(r));

        assertEquals("all", StrictJson.checkAgentResponse(json));
        assertEquals(List.of("version", "decision", "request_headers", "response_headers", "routing_metadata",
                "audit", "needs_more", "request_body_mutation", "response_body_mutation", "websocket_decision"),
                fieldNames(json));
        assertEquals("[{\"add\":{\"name\":\"x-a\",\"value\":\"1\"}}]", json.get("request_headers").toString());
        assertEquals("[{\"set\":{\"name\":\"x-b\",\"value\":\"\"}}]", json.get("response_headers").toString());
        assertEquals("42", json.get("routing_metadata").get("n").textValue());
        assertEquals("{\"tags\":[\"t1\",\"t2\"],\"rule_ids\":[\"r1\"],\"confidence\":null,\"reason_codes\":[\"c1\"],"
                + "\"custom\":{\"correlation_id\":\"all\"}}", json.get("audit").toString());
        assertTrue(json.get("needs_more").booleanValue());
        assertEquals("{\"data\":\"\",\"chunk_index\":0}", json.get("request_body_mutation").toString());
        assertEquals("{\"data\":\"aGk=\",\"chunk_index\":3}", json.get("response_body_mutation").toString());
        assertTrue(json.get("response_body_mutation").get("chunk_index").isIntegralNumber());
        assertEquals("drop", json.get("websocket_decision").textValue());
        assertTrue(json.get("request_body_mutation").get("data").isTextual());
        assertTrue(StrictJson.parse(codec.encodeResponse(new AgentResponse("k", Decision.ALLOW, List.of(), List.of(),
                Map.of(), null, false, new AgentResponse.BodyMutation(null, 1), null, "allow")))
                .get("request_body_mutation").get("data").isNull());
    }

    @Test
    void rejectsAnUnknownWebsocketDecision() {
        AgentResponse r = new AgentResponse("ws", Decision.ALLOW, List.of(), List.of(), Map.of(), null, false,
                null, null, "close");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> codec.encodeResponse(r));
        assertEquals("websocket decision must be \"allow\" or \"drop\" (was \"close\")", e.getMessage());
    }

    @Test
    void replacesLoneSurrogatesSoTheOutputIsValidUtf8() {
        String lone = "a\uD800b\uDC00c";
        AgentResponse r = new AgentResponse("id\uDBFF", new Decision.Block(403, lone, Map.of("x", lone)),
                List.of(HeaderOp.set("h", lone)), List.of(), Map.of("k\uDC01", "v\uD83D"),
                new AgentResponse.Audit(List.of(lone), List.of(), List.of()), false, null, null, null);

        byte[] payload = codec.encodeResponse(r);
        JsonNode json = StrictJson.parse(payload); // strict UTF-8 decoding inside

        assertEquals("a\uFFFDb\uFFFDc", json.get("decision").get("block").get("body").textValue());
        assertEquals("id\uFFFD", StrictJson.checkAgentResponse(json));
        assertEquals("v\uFFFD", json.get("routing_metadata").get("k\uFFFD").textValue());
        assertFalse(new String(payload, StandardCharsets.UTF_8).contains("\\u"), "no escaped surrogates either");
    }

    @Test
    void keepsValidSurrogatePairsAsFourByteUtf8() {
        byte[] payload = codec.encodeResponse(response("😀", new Decision.Block(403, "🚫 blocked", null)));

        String text = new String(payload, StandardCharsets.UTF_8);
        assertTrue(text.contains("\"body\":\"🚫 blocked\""), text);
        assertTrue(text.contains("\"correlation_id\":\"😀\""), text);
    }

    @Test
    void keysThatCollideAfterRepairAreWrittenOnce() {
        Map<String, String> routing = new LinkedHashMap<>();
        routing.put("k\uD800", "first");
        routing.put("k\uDC00", "second");
        routing.put("k\uFFFD", "valid");
        AgentResponse r = new AgentResponse("dup", Decision.ALLOW, List.of(), List.of(), routing, null, false,
                null, null, null);

        JsonNode json = StrictJson.parse(codec.encodeResponse(r)); // would throw on a duplicate member

        assertEquals(1, json.get("routing_metadata").size());
        assertEquals("valid", json.get("routing_metadata").get("k\uFFFD").textValue());
    }

    @Test
    void escapesControlCharactersAndQuotes() {
        String body = "line1\nline2\t\"q\" \\ \u0001 </script>";

        JsonNode json = StrictJson.parse(codec.encodeResponse(response("e", new Decision.Block(400, body, null))));

        assertEquals(body, json.get("decision").get("block").get("body").textValue());
    }

    // ---- other frames -------------------------------------------------------------------------

    @Test
    void encodesHealthStatus() {
        assertEquals("{\"state\":1}", new String(codec.encodeHealthStatus(ProxyCodec.HealthState.HEALTHY), StandardCharsets.UTF_8));
        assertEquals("{\"state\":3}", new String(codec.encodeHealthStatus(ProxyCodec.HealthState.DRAINING), StandardCharsets.UTF_8));
        assertEquals("{\"state\":2,\"reason\":\"1 of 2 workers ready\"}", new String(
                codec.encodeHealthStatus(ProxyCodec.HealthState.DEGRADED, "1 of 2 workers ready"), StandardCharsets.UTF_8));
    }

    @Test
    void encodesMetricsReportWithIntegerCountersAndInfBucket() {
        MetricsReport report = new MetricsReport("lua-agent", 1_782_898_200_123L, 10_000,
                List.of(new MetricsReport.Counter("events_total", "events", Map.of("type", "request_headers"), 12)),
                List.of(new MetricsReport.Gauge("workers", null, null, 4.0)),
                List.of(new MetricsReport.Histogram("latency_seconds", Map.of(), 0.75, 3, List.of(
                        new MetricsReport.Bucket(0.005, 1), new MetricsReport.Bucket(Double.POSITIVE_INFINITY, 3)))));

        JsonNode json = StrictJson.parse(codec.encodeMetricsReport(report));

        assertEquals("{\"agent_id\":\"lua-agent\",\"timestamp_ms\":1782898200123,\"interval_ms\":10000,"
                + "\"counters\":[{\"name\":\"events_total\",\"help\":\"events\",\"labels\":{\"type\":\"request_headers\"},"
                + "\"value\":12}],\"gauges\":[{\"name\":\"workers\",\"labels\":{},\"value\":4.0}],"
                + "\"histograms\":[{\"name\":\"latency_seconds\",\"labels\":{},\"sum\":0.75,\"count\":3,"
                + "\"buckets\":[{\"le\":0.005,\"count\":1},{\"le\":\"+Inf\",\"count\":3}]}]}", json.toString());
        assertTrue(json.get("counters").get(0).get("value").isIntegralNumber());
    }

    @Test
    void metricsRejectNonFiniteValues() {
        assertThrows(IllegalArgumentException.class, () -> new MetricsReport.Gauge("g", null, null, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new MetricsReport.Counter("c", null, null, -1));
    }

    @Test
    void namesEveryTypeOfTheSpecAndNoOther() {
        int known = 0;
        for (int t = 0; t < 256; t++) {
            if (ProxyCodec.isKnownType(t)) {
                known++;
            }
        }
        assertEquals(18, known);
        assertFalse(ProxyCodec.isKnownType(0x21));
        assertFalse(ProxyCodec.isKnownType(0xF0));
        assertTrue(ProxyCodec.isEvent(0x16));
        assertFalse(ProxyCodec.isEvent(0x18));
    }

    // ---- helpers --------------------------------------------------------------------------------

    private void assertProblem(int type, String json, String id, String problem) {
        var m = assertInstanceOf(AgentEvent.Malformed.class, codec.decodeEvent(frame(type, json)), json);
        assertEquals(id, m.correlationId(), json);
        assertEquals(problem, m.problem(), json);
    }

    private static AgentResponse response(String id, Decision decision) {
        return new AgentResponse(id, decision, List.of(), List.of(), Map.of(), null, false, null, null, null);
    }

    static byte[] frame(int type, String json) {
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[payload.length + 1];
        frame[0] = (byte) type;
        System.arraycopy(payload, 0, frame, 1, payload.length);
        return frame;
    }

    private static byte[] readOneFrame(byte[] wire) throws IOException {
        FrameReader reader = new FrameReader(new ByteArrayInputStream(wire), FrameLimits.PROXY_V2);
        byte[] frame = reader.read();
        assertNull(reader.read(), "exactly one frame");
        return frame;
    }

    private static byte[] writeOneFrame(int type, byte[] payload) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out, FrameLimits.PROXY_V2).write((byte) type, payload);
        return out.toByteArray();
    }

    private static String hex(byte[] bytes) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }

    private static String hex(byte[] bytes, int n) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes, 0, n);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
