package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ResponseInfo;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentEvent;

/** Proxy events as the pipe's {@code RequestInfo} / {@code ResponseInfo}. Pure functions. */
final class EventMapping {
    private EventMapping() {
    }

    /** The request of a RequestHeaders event; {@code client_ip} without its port. */
    static RequestInfo requestInfo(AgentEvent.RequestHeaders event) {
        RequestInfo.Builder request = RequestInfo.newBuilder()
                .setMethod(orEmpty(event.method()))
                .setUri(orEmpty(event.uri()))
                .setHeaderList(event.headers().encoded());
        AgentEvent.RequestMetadata metadata = event.metadata();
        if (metadata != null) {
            String address = orEmpty(metadata.clientIp());
            request.setClientIp(clientIp(address))
                    .setClientPort(metadata.clientPort() > 0 ? metadata.clientPort() : clientPort(address))
                    .setProtocol(orEmpty(metadata.protocol()))
                    .setRequestId(orEmpty(metadata.requestId()))
                    .setTimestamp(orEmpty(metadata.timestamp()));
            if (metadata.routeId() != null) {
                request.setRouteId(metadata.routeId());
            }
            if (metadata.upstreamId() != null) {
                request.setUpstreamId(metadata.upstreamId());
            }
            if (metadata.serverName() != null) {
                request.setServerName(metadata.serverName());
            }
            if (metadata.tlsVersion() != null) {
                request.setTlsVersion(metadata.tlsVersion());
            }
            if (metadata.tlsCipher() != null) {
                request.setTlsCipher(metadata.tlsCipher());
            }
            if (metadata.traceparent() != null) {
                request.setTraceparent(metadata.traceparent());
            }
        }
        return request.build();
    }

    static ResponseInfo responseInfo(AgentEvent.ResponseHeaders event) {
        return ResponseInfo.newBuilder()
                .setStatus(Math.max(0, event.status()))
                .setHeaderList(event.headers().encoded())
                .build();
    }

    /**
     * The address without its port and IPv6 brackets: {@code 127.0.0.1:51514 -> 127.0.0.1},
     * {@code [::1]:51514 -> ::1}, {@code [::1] -> ::1}; a bare IPv6 address or a host without
     * a port stays as it is.
     */
    static String clientIp(String address) {
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            return close > 0 ? address.substring(1, close) : address;
        }
        int colon = address.indexOf(':');
        if (colon >= 0 && colon == address.lastIndexOf(':')) {
            return address.substring(0, colon);
        }
        return address;
    }

    /** The port of {@code host:port} or {@code [v6]:port}, else 0. */
    static int clientPort(String address) {
        String port;
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            if (close < 0 || !address.startsWith("]:", close)) {
                return 0;
            }
            port = address.substring(close + 2);
        } else {
            int colon = address.indexOf(':');
            if (colon < 0 || colon != address.lastIndexOf(':')) {
                return 0;
            }
            port = address.substring(colon + 1);
        }
        try {
            int value = Integer.parseInt(port);
            return value >= 0 && value <= 65535 ? value : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }
}
