package io.zentinel.sentinel.lua.worker.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.HeaderMutation;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Metadata;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptFailure;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InProcessCodecTest {
    private final InProcessCodec codec = new InProcessCodec();

    /** The spec's §12.3 RequestHeaders event. */
    private static final String REQUEST_HEADERS = "{\"correlation_id\":\"Jx7Qm2Rp4Kd\",\"headers\":{\"accept\":[\"*/*\"],"
            + "\"host\":[\"example.com\"],\"user-agent\":[\"curl/8.5.0\"],"
            + "\"x-correlation-id\":[\"Jx7Qm2Rp4Kd\"],\"x-forwarded-by\":[\"Zentinel\"]},"
            + "\"metadata\":{\"client_ip\":\"127.0.0.1:51514\",\"client_port\":0,"
            + "\"correlation_id\":\"Jx7Qm2Rp4Kd\",\"protocol\":\"HTTP/1.1\","
            + "\"request_id\":\"6f1c2a9e-4b7d-4e21-9a53-0c8d2f6b1e77\",\"route_id\":\"api\","
            + "\"server_name\":null,\"timestamp\":\"2026-07-01T09:30:00.123456789+00:00\","
            + "\"tls_cipher\":null,\"tls_version\":null,\"upstream_id\":null},\"method\":\"GET\","
            + "\"uri\":\"/api/users?id=42\"}";

    private static byte[] frame(int type, String payload) {
        byte[] json = payload.getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[json.length + 1];
        frame[0] = (byte) type;
        System.arraycopy(json, 0, frame, 1, json.length);
        return frame;
    }

    private static String text(byte[] payload) {
        return new String(payload, StandardCharsets.UTF_8);
    }

    @Test
    void decodesRequestHeadersAsTheAgentMapsThem() throws IOException {
        InProcessCodec.Event event = codec.decode(frame(InProcessCodec.REQUEST_HEADERS, REQUEST_HEADERS));

        assertEquals("Jx7Qm2Rp4Kd", event.correlationId());
        HookCall call = event.call();
        assertEquals(Phase.PHASE_REQUEST_HEADERS, call.getPhase());
        RequestInfo request = call.getRequest();
        assertEquals("GET", request.getMethod());
        assertEquals("/api/users?id=42", request.getUri());
        assertEquals("127.0.0.1", request.getClientIp());
        assertEquals(51514, request.getClientPort());
        assertEquals("api", request.getRouteId());
        assertEquals(false, request.hasServerName());
        assertEquals(List.of("accept", "host", "user-agent", "x-correlation-id", "x-forwarded-by"),
                headers(request.getHeaderList()).stream().map(h -> h.getName()).toList());
        assertEquals(List.of("curl/8.5.0"), headers(request.getHeaderList()).get(2).getValuesList());
    }

    @Test
    void decodesABodyChunkFromBase64AsTheWholeBody() throws IOException {
        InProcessCodec.Event event = codec.decode(frame(InProcessCodec.REQUEST_BODY_CHUNK,
                "{\"bytes_received\":16,\"chunk_index\":0,\"correlation_id\":\"Jx7Qm2Rp4Kd\","
                + "\"data\":\"eyJuYW1lIjoiYWxpY2UifQ==\",\"is_last\":true,\"total_size\":16}"));

        HookCall call = event.call();
        assertEquals(Phase.PHASE_REQUEST_BODY, call.getPhase());
        assertArrayEquals("{\"name\":\"alice\"}".getBytes(StandardCharsets.UTF_8), call.getChunk().getData().toByteArray());
        assertEquals(call.getChunk().getData(), call.getChunk().getBody());
        assertEquals(true, call.getChunk().getIsLast());
    }

    @Test
    void anEventNoHookHandlesHasNoCall() throws IOException {
        InProcessCodec.Event event = codec.decode(frame(0x14, "{\"correlation_id\":\"abc\",\"duration_ms\":5}"));

        assertEquals("abc", event.correlationId());
        assertNull(event.call());
    }

    @Test
    void aPayloadThatIsNotAnObjectIsRejected() {
        assertThrows(IOException.class, () -> codec.decode(frame(InProcessCodec.REQUEST_HEADERS, "[1]")));
    }

    @Test
    void answersAsTheAgentDoesByteForByte() {
        // the spec's §12.4 golden frame, which the agent's ProxyCodec writes byte for byte
        Verdict verdict = Verdict.newBuilder().setAction(Action.ALLOW)
                .addRequestHeaders(HeaderMutation.newBuilder().setOp(HeaderMutation.Op.SET).setName("x-user-id").setValue("42"))
                .addRequestHeaders(HeaderMutation.newBuilder().setOp(HeaderMutation.Op.REMOVE).setName("cookie"))
                .addResponseHeaders(HeaderMutation.newBuilder().setOp(HeaderMutation.Op.ADD).setName("x-inspected-by")
                        .setValue("java-agent"))
                .build();

        byte[] answer = codec.answer("Jx7Qm2Rp4Kd", HookResult.newBuilder().setVerdict(verdict).build());

        assertEquals("{\"version\":2,\"decision\":\"allow\",\"request_headers\":[{\"set\":{\"name\":\"x-user-id\","
                + "\"value\":\"42\"}},{\"remove\":{\"name\":\"cookie\"}}],"
                + "\"response_headers\":[{\"add\":{\"name\":\"x-inspected-by\",\"value\":\"java-agent\"}}],"
                + "\"routing_metadata\":{},\"audit\":{\"tags\":[],\"rule_ids\":[],\"confidence\":null,"
                + "\"reason_codes\":[],\"custom\":{\"correlation_id\":\"Jx7Qm2Rp4Kd\"}},\"needs_more\":false,"
                + "\"request_body_mutation\":null,\"response_body_mutation\":null,"
                + "\"websocket_decision\":null}", text(answer));
    }

    @Test
    void answersABlockWithItsStatusBodyMetadataAndTags() {
        Verdict verdict = Verdict.newBuilder().setAction(Action.BLOCK).setStatus(401).setBody("Unauthorized")
                .addMetadata(Metadata.newBuilder().setKey("role").setValue("user")).addTags("token-missing").build();

        String answer = text(codec.answer("id-1", HookResult.newBuilder().setVerdict(verdict).build()));

        assertEquals("{\"version\":2,\"decision\":{\"block\":{\"status\":401,\"body\":\"Unauthorized\",\"headers\":null}},"
                + "\"request_headers\":[],\"response_headers\":[],\"routing_metadata\":{\"role\":\"user\"},"
                + "\"audit\":{\"tags\":[\"token-missing\"],\"rule_ids\":[],\"confidence\":null,\"reason_codes\":[],"
                + "\"custom\":{\"correlation_id\":\"id-1\"}},\"needs_more\":false,\"request_body_mutation\":null,"
                + "\"response_body_mutation\":null,\"websocket_decision\":null}", answer);
    }

    @Test
    void aFailedScriptIsAnsweredWithTheFailOpenDecisionAndItsTags() {
        HookResult failed = HookResult.newBuilder().setFailure(ScriptFailure.newBuilder()
                .setKind(FailureKind.INSTRUCTION_LIMIT).setScript("s").setMessage("too many")).build();

        String answer = text(codec.answer("id-2", failed));

        assertEquals("{\"version\":2,\"decision\":\"allow\",\"request_headers\":[],\"response_headers\":[],"
                + "\"routing_metadata\":{},\"audit\":{\"tags\":[\"lua-agent:fail-open\",\"lua-agent:instruction-limit\"],"
                + "\"rule_ids\":[],\"confidence\":null,\"reason_codes\":[\"instruction-limit\"],"
                + "\"custom\":{\"correlation_id\":\"id-2\"}},\"needs_more\":false,\"request_body_mutation\":null,"
                + "\"response_body_mutation\":null,\"websocket_decision\":null}", answer);
    }

    @Test
    void readsTheScriptsOfADirectoryInNameOrder(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("20-b.lua"), "-- b");
        Files.writeString(dir.resolve("10-a.lua"), "-- a");
        Files.writeString(dir.resolve("notes.txt"), "not a script");

        assertEquals(List.of("10-a.lua", "20-b.lua"),
                InProcessAgent.scripts(dir).stream().map(s -> s.getFileName()).toList());
    }

    @Test
    void theEngineBenchmarksCallCarriesEveryHeaderOfTheFile() throws Exception {
        HookCall call = EngineBench.call(List.of("Accept: */*", "user-agent: curl/8.5.0", "", "cookie: a=1; b=2"));

        assertEquals(List.of("accept", "user-agent", "cookie"),
                headers(call.getRequest().getHeaderList()).stream().map(h -> h.getName()).toList());
        assertEquals("a=1; b=2", headers(call.getRequest().getHeaderList()).get(2).getValues(0));
    }

    @Test
    void theEngineBenchmarksBodyCallCarriesAWholeBodyOfTheSizeAsked() {
        HookCall call = EngineBench.bodyCall(RequestInfo.getDefaultInstance(), 65536);

        assertEquals(Phase.PHASE_REQUEST_BODY, call.getPhase());
        assertEquals(65536, call.getChunk().getBody().size());
        assertEquals(true, call.getChunk().getComplete());
        assertEquals('[', call.getChunk().getBody().byteAt(0));
    }

    private static List<Header> headers(ByteString headerList) throws InvalidProtocolBufferException {
        return HeaderList.parseFrom(headerList).getHeadersList();
    }
}
