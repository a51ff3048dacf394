package io.zentinel.sentinel.lua.supervisor.proxy;

import java.util.List;
import java.util.Map;

/**
 * The answer to one {@link AgentEvent} (agent protocol v2, §8, frame type 0x20).
 *
 * @param correlationId     written to {@code audit.custom.correlation_id}, which is how the proxy
 *                          pairs the answer with its request
 * @param routingMetadata   string values only: the proxy discards a response with anything else
 * @param websocketDecision {@code "allow"} for a WebSocketFrame event, else {@code null}
 */
public record AgentResponse(String correlationId, Decision decision, List<HeaderOp> requestHeaders,
                            List<HeaderOp> responseHeaders, Map<String, String> routingMetadata,
                            Audit audit, boolean needsMore, BodyMutation requestBodyMutation,
                            BodyMutation responseBodyMutation, String websocketDecision) {

    public AgentResponse {
        if (correlationId == null) {
            throw new IllegalArgumentException("correlationId must not be null");
        }
        if (decision == null) {
            throw new IllegalArgumentException("decision must not be null");
        }
        requestHeaders = List.copyOf(requestHeaders);
        responseHeaders = List.copyOf(responseHeaders);
        routingMetadata = Map.copyOf(routingMetadata);
        audit = audit == null ? Audit.EMPTY : audit;
    }

    /** Allow with nothing else: the answer to events no script handles. */
    public static AgentResponse allow(String correlationId) {
        return new AgentResponse(correlationId, Decision.ALLOW, List.of(), List.of(), Map.of(),
                Audit.EMPTY, false, null, null, null);
    }

    /** A header operation; encoded as {@code {"set":{…}}}, {@code {"add":{…}}} or {@code {"remove":{…}}}. */
    public record HeaderOp(Kind kind, String name, String value) {
        public enum Kind { SET, ADD, REMOVE }

        public HeaderOp {
            if (kind == null || name == null || name.isEmpty()) {
                throw new IllegalArgumentException("header op needs a kind and a name");
            }
            if (kind != Kind.REMOVE && value == null) {
                throw new IllegalArgumentException(kind + " header op needs a value");
            }
        }

        public static HeaderOp set(String name, String value) {
            return new HeaderOp(Kind.SET, name, value);
        }

        public static HeaderOp add(String name, String value) {
            return new HeaderOp(Kind.ADD, name, value);
        }

        public static HeaderOp remove(String name) {
            return new HeaderOp(Kind.REMOVE, name, null);
        }
    }

    /** {@code audit} without {@code custom}, which the codec fills with the correlation id. */
    public record Audit(List<String> tags, List<String> ruleIds, List<String> reasonCodes) {
        public static final Audit EMPTY = new Audit(List.of(), List.of(), List.of());

        public Audit {
            tags = List.copyOf(tags);
            ruleIds = List.copyOf(ruleIds);
            reasonCodes = List.copyOf(reasonCodes);
        }
    }

    /**
     * A body mutation.
     *
     * @param data {@code null} keeps the chunk, {@code ""} drops it, anything else replaces it
     *             (the proxy Base64-decodes response body mutations)
     */
    public record BodyMutation(String data, int chunkIndex) {
    }
}
