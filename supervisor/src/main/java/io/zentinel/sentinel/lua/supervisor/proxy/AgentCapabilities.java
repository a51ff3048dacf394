package io.zentinel.sentinel.lua.supervisor.proxy;

import java.util.List;

/**
 * What the agent announces in its HandshakeResponse (agent protocol v2, §3.2). The proxy uses
 * none of it for routing; it is informational, but every member must be present.
 *
 * <p>The features this record does not carry are announced as {@code false}:
 * {@code websocket}, {@code guardrails}, {@code config_push}, {@code cancellation} and
 * {@code flow_control}; {@code concurrent_requests} is {@link #maxConcurrency()}.
 *
 * @param supportedEvents event numbers by the spec's convention: 1 request headers, 2 request
 *                        body, 3 response headers, 4 response body, 5 request complete,
 *                        6 WebSocket frame, 7 guardrail, 0 (or 8) configure
 */
public record AgentCapabilities(String agentId, String name, String version, List<Integer> supportedEvents,
                                int maxConcurrency, long maxBodySize, int preferredChunkSize,
                                boolean metricsExport, boolean healthReporting, boolean streamingBody) {

    public AgentCapabilities {
        requireText(agentId, "agentId");
        requireText(name, "name");
        requireText(version, "version");
        supportedEvents = List.copyOf(supportedEvents);
        if (maxConcurrency < 0) {
            throw new IllegalArgumentException("maxConcurrency must be >= 0 (was " + maxConcurrency + ")");
        }
        if (maxBodySize < 0) {
            throw new IllegalArgumentException("maxBodySize must be >= 0 (was " + maxBodySize + ")");
        }
        if (preferredChunkSize < 0) {
            throw new IllegalArgumentException("preferredChunkSize must be >= 0 (was " + preferredChunkSize + ")");
        }
    }

    private static void requireText(String value, String what) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
    }
}
