package io.zentinel.sentinel.lua.supervisor.proxy;

/**
 * An event as the proxy sent it (agent protocol v2, §7), decoded from its JSON payload.
 * Every event needs exactly one {@link AgentResponse} carrying its {@link #correlationId()}.
 *
 * <p>Headers ({@link EventHeaders}) keep the proxy's order; names are lower case, with one
 * value per occurrence.
 */
public sealed interface AgentEvent {

    /** The id the response must echo in {@code audit.custom.correlation_id}. */
    String correlationId();

    /** 0x10: request headers, before the request is forwarded upstream. */
    record RequestHeaders(String correlationId, String method, String uri,
                          EventHeaders headers, RequestMetadata metadata) implements AgentEvent {
        public RequestHeaders {
            headers = headers == null ? EventHeaders.NONE : headers;
        }
    }

    /**
     * The {@code metadata} member of RequestHeaders.
     *
     * @param clientIp client address as sent, which includes the port ({@code "127.0.0.1:51514"})
     */
    record RequestMetadata(String clientIp, int clientPort, String protocol, String requestId,
                           String routeId, String serverName, String timestamp, String tlsCipher,
                           String tlsVersion, String traceparent, String upstreamId) {
    }

    /** 0x11: a piece of the request body, decoded from Base64. */
    record RequestBodyChunk(String correlationId, byte[] data, int chunkIndex, boolean isLast,
                            long bytesReceived, Long totalSize) implements AgentEvent {
    }

    /** 0x12: upstream response headers. */
    record ResponseHeaders(String correlationId, int status, EventHeaders headers)
            implements AgentEvent {
        public ResponseHeaders {
            headers = headers == null ? EventHeaders.NONE : headers;
        }
    }

    /** 0x13: a piece of the response body, decoded from Base64. */
    record ResponseBodyChunk(String correlationId, byte[] data, int chunkIndex, boolean isLast,
                             long bytesSent, Long totalSize) implements AgentEvent {
    }

    /**
     * An event no script hook handles (RequestComplete, WebSocketFrame, GuardrailInspect,
     * Configure): it is answered with allow, as the spec prescribes for each.
     *
     * @param type the frame's type byte
     */
    record Unhandled(String correlationId, int type) implements AgentEvent {
    }

    /**
     * An event whose payload could not be decoded. It is still answered (with the failure-mode
     * decision) under the best id that could be extracted, so the proxy is not left waiting.
     */
    record Malformed(String correlationId, int type, String problem) implements AgentEvent {
    }
}
