package io.zentinel.sentinel.lua.supervisor.bench;

import java.nio.charset.StandardCharsets;

/** The frames the load generator sends, shaped like the proxy's (agent protocol v2, §7.1). */
final class EventTemplate {

    static final byte[] HANDSHAKE = ("{\"supported_versions\":[2],\"proxy_id\":\"zentinel-proxy\","
            + "\"proxy_version\":\"0.6.20\",\"config\":null,\"supported_encodings\":[\"json\"]}")
            .getBytes(StandardCharsets.UTF_8);

    /** Typical browser request headers; the list is cycled when more are asked for. */
    private static final String[][] HEADERS = {
        {"accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
        {"accept-encoding", "gzip, deflate, br"},
        {"accept-language", "en-GB,en;q=0.9"},
        {"authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"},
        {"cache-control", "no-cache"},
        {"connection", "keep-alive"},
        {"cookie", "session=7f3a9c0e2b; theme=dark; consent=yes"},
        {"dnt", "1"},
        {"host", "api.example.com"},
        {"origin", "https://www.example.com"},
        {"pragma", "no-cache"},
        {"referer", "https://www.example.com/dashboard"},
        {"sec-ch-ua", "\\\"Chromium\\\";v=\\\"131\\\""},
        {"sec-fetch-dest", "empty"},
        {"sec-fetch-mode", "cors"},
        {"sec-fetch-site", "same-site"},
        {"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"},
        {"x-forwarded-by", "Zentinel"},
        {"x-forwarded-for", "203.0.113.7"},
        {"x-request-start", "t=1782898200123"},
    };

    private EventTemplate() {
    }

    /** A RequestHeaders payload with {@code headerCount} headers plus x-correlation-id. */
    static byte[] requestHeaders(String id, String method, String uri, int headerCount) {
        StringBuilder json = new StringBuilder(1200);
        json.append("{\"correlation_id\":\"").append(id).append("\",\"headers\":{");
        for (int i = 0; i < headerCount; i++) {
            String[] h = HEADERS[i % HEADERS.length];
            String name = i < HEADERS.length ? h[0] : h[0] + "-" + (i / HEADERS.length);
            json.append('"').append(name).append("\":[\"").append(h[1]).append("\"],");
        }
        json.append("\"x-correlation-id\":[\"").append(id).append("\"]},\"metadata\":{")
                .append("\"client_ip\":\"127.0.0.1:51514\",\"client_port\":0,\"correlation_id\":\"").append(id)
                .append("\",\"protocol\":\"HTTP/1.1\",\"request_id\":\"6f1c2a9e-4b7d-4e21-9a53-0c8d2f6b1e77\",")
                .append("\"route_id\":\"api\",\"server_name\":null,\"timestamp\":\"2026-07-01T09:30:00.123456789+00:00\",")
                .append("\"tls_cipher\":null,\"tls_version\":null,\"upstream_id\":null},\"method\":\"")
                .append(method).append("\",\"uri\":\"").append(uri).append("\"}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static final byte[] ID_KEY = "\"correlation_id\":\"".getBytes(StandardCharsets.US_ASCII);

    /**
     * The correlation id of an AgentResponse frame (type byte first). The agent writes one
     * {@code correlation_id} member per response, in {@code audit.custom}, and the ids this
     * generator sends need no JSON escaping, so a byte search is exact here.
     */
    static String correlationIdOf(byte[] frame) {
        outer:
        for (int i = frame.length - ID_KEY.length; i >= 1; i--) {
            for (int k = 0; k < ID_KEY.length; k++) {
                if (frame[i + k] != ID_KEY[k]) {
                    continue outer;
                }
            }
            int start = i + ID_KEY.length;
            int end = start;
            while (end < frame.length && frame[end] != '"') {
                end++;
            }
            return new String(frame, start, end - start, StandardCharsets.US_ASCII);
        }
        return null;
    }
}
