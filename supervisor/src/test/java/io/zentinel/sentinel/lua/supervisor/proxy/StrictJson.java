package io.zentinel.sentinel.lua.supervisor.proxy;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Parses agent → proxy payloads as strictly as the proxy does (§8): valid UTF-8, no repeated
 * member names, no trailing content. Shared by the codec tests and {@link FakeProxy}.
 */
public final class StrictJson {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private StrictJson() {
    }

    /** Parses {@code payload}; throws if it is not strictly valid UTF-8 JSON without duplicate members. */
    public static JsonNode parse(byte[] payload) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(payload));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("payload is not valid UTF-8", e);
        }
        try {
            return MAPPER.readTree(payload);
        } catch (IOException e) {
            throw new UncheckedIOException("payload is not strict JSON", e);
        }
    }

    public static JsonNode parse(String json) {
        return parse(json.getBytes(StandardCharsets.UTF_8));
    }

    public static JsonMapper mapper() {
        return MAPPER;
    }

    /**
     * Checks the typing rules the proxy applies to an AgentResponse (§8) and returns its
     * {@code audit.custom.correlation_id}.
     */
    public static String checkAgentResponse(JsonNode r) {
        require(r.path("version").isIntegralNumber() && r.get("version").asLong() == 2, "version must be integer 2", r);
        JsonNode decision = r.get("decision");
        require(decision != null && (decision.isTextual() && decision.asText().equals("allow")
                || decision.isObject() && decision.size() == 1), "decision must be \"allow\" or a one-member object", r);
        for (String ops : new String[] {"request_headers", "response_headers"}) {
            require(r.path(ops).isArray(), ops + " must be an array", r);
        }
        require(r.path("routing_metadata").isObject(), "routing_metadata must be an object", r);
        r.path("routing_metadata").properties().forEach(e ->
                require(e.getValue().isTextual(), "routing_metadata values must be strings", r));
        require(r.path("needs_more").isBoolean(), "needs_more must be a boolean", r);
        JsonNode id = r.path("audit").path("custom").path("correlation_id");
        require(id.isTextual(), "audit.custom.correlation_id must be a string", r);
        return id.asText();
    }

    private static void require(boolean ok, String what, JsonNode r) {
        if (!ok) {
            throw new AssertionError(what + ": " + r);
        }
    }
}
