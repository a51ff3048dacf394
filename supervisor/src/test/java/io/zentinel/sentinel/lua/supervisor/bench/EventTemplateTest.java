package io.zentinel.sentinel.lua.supervisor.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.zentinel.sentinel.lua.supervisor.proxy.AgentEvent;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse;
import io.zentinel.sentinel.lua.supervisor.proxy.Decision;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventTemplateTest {
    private final ProxyCodec codec = new ProxyCodec();

    private static byte[] frame(int type, byte[] payload) {
        byte[] frame = new byte[payload.length + 1];
        frame[0] = (byte) type;
        System.arraycopy(payload, 0, frame, 1, payload.length);
        return frame;
    }

    @Test
    void requestBodyChunkDecodesToTheWholeBodyInOneLastChunk() {
        byte[] body = EventTemplate.body(65536);
        byte[] payload = EventTemplate.requestBodyChunk("L00-0000000007", EventTemplate.base64(body), body.length);

        AgentEvent event = codec.decodeEvent(frame(ProxyCodec.REQUEST_BODY_CHUNK, payload));

        AgentEvent.RequestBodyChunk chunk = assertInstanceOf(AgentEvent.RequestBodyChunk.class, event);
        assertEquals("L00-0000000007", chunk.correlationId());
        assertArrayEquals(body, chunk.data());
        assertEquals(0, chunk.chunkIndex());
        assertEquals(true, chunk.isLast());
        assertEquals(65536, chunk.bytesReceived());
        assertEquals(65536L, chunk.totalSize());
    }

    @Test
    void requestBodyChunkHasTheProxysMembersInSortedOrder() {
        byte[] payload = EventTemplate.requestBodyChunk("Jx7Qm2Rp4Kd", EventTemplate.base64(
                "{\"name\":\"alice\"}".getBytes(StandardCharsets.UTF_8)), 16);

        // §12.6 of the spec, byte for byte
        assertEquals("{\"bytes_received\":16,\"chunk_index\":0,\"correlation_id\":\"Jx7Qm2Rp4Kd\","
                + "\"data\":\"eyJuYW1lIjoiYWxpY2UifQ==\",\"is_last\":true,\"total_size\":16}",
                new String(payload, StandardCharsets.UTF_8));
    }

    @Test
    void bodyHasExactlyTheLengthAskedAndIsTheSameEachTime() {
        assertEquals(65536, EventTemplate.body(65536).length);
        assertEquals(1, EventTemplate.body(1).length);
        assertArrayEquals(EventTemplate.body(4096), EventTemplate.body(4096));
    }

    @Test
    void requestHeadersDecodeWithTheirValuesUnescaped() {
        byte[] payload = EventTemplate.requestHeaders("L01-0000000001", "POST", "/api/orders/7", 20);

        AgentEvent.RequestHeaders event = assertInstanceOf(AgentEvent.RequestHeaders.class,
                codec.decodeEvent(frame(ProxyCodec.REQUEST_HEADERS, payload)));

        assertEquals("POST", event.method());
        assertEquals("/api/orders/7", event.uri());
        assertEquals(21, event.headers().toMap().size());
        assertEquals(List.of("\"Chromium\";v=\"131\""), event.headers().toMap().get("sec-ch-ua"));
        assertEquals(List.of("L01-0000000001"), event.headers().toMap().get("x-correlation-id"));
        assertEquals("127.0.0.1:51514", event.metadata().clientIp());
    }

    @Test
    void moreHeadersThanTheListCycleItWithNumberedNames() {
        byte[] payload = EventTemplate.requestHeaders("L00-0000000000", "GET", "/", 45);

        AgentEvent.RequestHeaders event = (AgentEvent.RequestHeaders) codec.decodeEvent(frame(ProxyCodec.REQUEST_HEADERS, payload));

        assertEquals(46, event.headers().toMap().size());
        assertEquals(List.of("gzip, deflate, br"), event.headers().toMap().get("accept-encoding-2"));
    }

    @Test
    void classifiesTheAgentsAnswers() {
        String id = "L00-0000000001";
        byte[] allow = frame(ProxyCodec.AGENT_RESPONSE, codec.encodeResponse(AgentResponse.allow(id)));
        byte[] block = frame(ProxyCodec.AGENT_RESPONSE, codec.encodeResponse(new AgentResponse(id,
                new Decision.Block(401, "Unauthorized", null), List.of(), List.of(), Map.of(),
                AgentResponse.Audit.EMPTY, false, null, null, null)));
        byte[] failOpen = frame(ProxyCodec.AGENT_RESPONSE, codec.encodeResponse(new AgentResponse(id,
                Decision.ALLOW, List.of(), List.of(), Map.of(),
                new AgentResponse.Audit(List.of("lua-agent:fail-open", "lua-agent:script-error"), List.of(),
                        List.of("script-error")), false, null, null, null)));
        byte[] redirect = frame(ProxyCodec.AGENT_RESPONSE, codec.encodeResponse(new AgentResponse(id,
                new Decision.Redirect("https://example.com/login", 302), List.of(), List.of(), Map.of(),
                AgentResponse.Audit.EMPTY, false, null, null, null)));

        assertEquals(EventTemplate.Answer.ALLOW, EventTemplate.classify(allow));
        assertEquals(EventTemplate.Answer.BLOCK, EventTemplate.classify(block));
        assertEquals(EventTemplate.Answer.FAILURE_MODE, EventTemplate.classify(failOpen));
        assertEquals(EventTemplate.Answer.OTHER, EventTemplate.classify(redirect));
        assertEquals(id, EventTemplate.correlationIdOf(block));
        assertEquals("script-error", EventTemplate.failureCause(failOpen));
        assertEquals("unknown", EventTemplate.failureCause(allow));
    }

    @Test
    void countsFailureCausesInNameOrder() {
        LoadResult.Answers answers = new LoadResult.Answers(10, 0, 0, 4, Map.of("time-limit", 3L, "overloaded", 1L));

        assertEquals("overloaded 1, time-limit 3", answers.causes());
    }

    @Test
    void theScriptEngineBenchmarkUsesTheSameHeaders() throws IOException {
        // the engine comparison (src/bench/engine) runs the header script over these headers
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("src/bench/engine/headers.txt"), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                lines.add(line);
            }
        }
        List<String> expected = new ArrayList<>();
        for (String[] header : EventTemplate.HEADERS) {
            expected.add(header[0] + ": " + header[1]);
        }
        assertEquals(expected, lines);
        assertNotEquals(0, lines.size());
    }
}
