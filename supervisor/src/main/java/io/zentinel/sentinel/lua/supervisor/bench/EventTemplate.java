package io.zentinel.sentinel.lua.supervisor.bench;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The frames the load generator sends, shaped like the proxy's (agent protocol v2, §7.1, §7.2). */
final class EventTemplate {

    static final byte[] HANDSHAKE = ("{\"supported_versions\":[2],\"proxy_id\":\"zentinel-proxy\","
            + "\"proxy_version\":\"0.6.20\",\"config\":null,\"supported_encodings\":[\"json\"]}")
            .getBytes(StandardCharsets.UTF_8);

    /**
     * Typical browser request headers; the list is cycled when more are asked for. The
     * authorization header carries a valid HS256 token (secret {@code bench-secret}, payload
     * {@code {"sub":"42","role":"user","exp":4102444800}}) so that scripts can verify it.
     */
    static final String[][] HEADERS = {
        {"accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
        {"accept-encoding", "gzip, deflate, br"},
        {"accept-language", "en-GB,en;q=0.9"},
        {"authorization", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInJvbGUiOiJ1c2VyIiwiZXhwIjo0MTAyNDQ0ODAwfQ.lMGXwkpF_9vi7jPzXtq5yCQDgZfLmUKX75nd1miP-dg"},
        {"cache-control", "no-cache"},
        {"connection", "keep-alive"},
        {"cookie", "session=7f3a9c0e2b; theme=dark; consent=yes"},
        {"dnt", "1"},
        {"host", "api.example.com"},
        {"origin", "https://www.example.com"},
        {"pragma", "no-cache"},
        {"referer", "https://www.example.com/dashboard"},
        {"sec-ch-ua", "\"Chromium\";v=\"131\""},
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
            json.append('"').append(name).append("\":[");
            appendString(json, h[1]);
            json.append("],");
        }
        json.append("\"x-correlation-id\":[\"").append(id).append("\"]},\"metadata\":{")
                .append("\"client_ip\":\"127.0.0.1:51514\",\"client_port\":0,\"correlation_id\":\"").append(id)
                .append("\",\"protocol\":\"HTTP/1.1\",\"request_id\":\"6f1c2a9e-4b7d-4e21-9a53-0c8d2f6b1e77\",")
                .append("\"route_id\":\"api\",\"server_name\":null,\"timestamp\":\"2026-07-01T09:30:00.123456789+00:00\",")
                .append("\"tls_cipher\":null,\"tls_version\":null,\"upstream_id\":null},\"method\":\"");
        appendRaw(json, method);
        json.append("\",\"uri\":\"");
        appendRaw(json, uri);
        json.append("\"}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A RequestBodyChunk payload as the current proxy sends a buffered body: one event, chunk 0,
     * {@code is_last} true, {@code total_size} = {@code bytes_received} = the body's length, the
     * body in standard Base64 with padding (§7.2, §6). Members in the proxy's (sorted) order.
     *
     * @param base64 the body, already Base64-encoded ({@link #base64(byte[])}), so that the
     *               encoding is paid once and not per event
     */
    static byte[] requestBodyChunk(String id, byte[] base64, int bodyLength) {
        byte[] head = ("{\"bytes_received\":" + bodyLength + ",\"chunk_index\":0,\"correlation_id\":\"" + id
                + "\",\"data\":\"").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\",\"is_last\":true,\"total_size\":" + bodyLength + "}").getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[head.length + base64.length + tail.length];
        System.arraycopy(head, 0, payload, 0, head.length);
        System.arraycopy(base64, 0, payload, head.length, base64.length);
        System.arraycopy(tail, 0, payload, head.length + base64.length, tail.length);
        return payload;
    }

    static byte[] base64(byte[] data) {
        return Base64.getEncoder().encode(data);
    }

    /**
     * A request body of exactly {@code size} bytes: a JSON array of order lines, as an API client
     * would post, cut to length (so a body that is not a whole document when {@code size} does
     * not fall on an element boundary). The same for every event.
     */
    static byte[] body(int size) {
        StringBuilder json = new StringBuilder(size + 128).append('[');
        for (int i = 0; json.length() < size; i++) {
            json.append("{\"sku\":\"SKU-").append(100000 + i).append("\",\"qty\":").append(1 + i % 9)
                    .append(",\"note\":\"deliver to the back door, ring twice\"},");
        }
        byte[] bytes = json.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] exact = new byte[size];
        System.arraycopy(bytes, 0, exact, 0, size);
        return exact;
    }

    private static final byte[] ID_KEY = "\"correlation_id\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ALLOW = "\"decision\":\"allow\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BLOCK = "\"decision\":{\"block\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FAILURE_TAG = "\"lua-agent:fail-".getBytes(StandardCharsets.US_ASCII);

    /**
     * The correlation id of an AgentResponse frame (type byte first). The agent writes one
     * {@code correlation_id} member per response, in {@code audit.custom}, and the ids this
     * generator sends need no JSON escaping, so a byte search is exact here.
     */
    static String correlationIdOf(byte[] frame) {
        int i = lastIndexOf(frame, ID_KEY);
        if (i < 0) {
            return null;
        }
        int start = i + ID_KEY.length;
        int end = start;
        while (end < frame.length && frame[end] != '"') {
            end++;
        }
        return new String(frame, start, end - start, StandardCharsets.US_ASCII);
    }

    /** What an AgentResponse decided, as far as the load generator counts it. */
    enum Answer { ALLOW, BLOCK, OTHER, FAILURE_MODE }

    /**
     * The decision of an AgentResponse frame; {@link Answer#FAILURE_MODE} when the agent answered
     * with its failure-mode decision (audit tag {@code lua-agent:fail-open} or
     * {@code lua-agent:fail-closed}): the script did not decide, so the figures would not
     * measure the script.
     */
    static Answer classify(byte[] frame) {
        if (lastIndexOf(frame, FAILURE_TAG) >= 0) {
            return Answer.FAILURE_MODE;
        }
        if (lastIndexOf(frame, ALLOW) >= 0) {
            return Answer.ALLOW;
        }
        if (lastIndexOf(frame, BLOCK) >= 0) {
            return Answer.BLOCK;
        }
        return Answer.OTHER;
    }

    private static final byte[] TAG = "\"lua-agent:".getBytes(StandardCharsets.US_ASCII);

    /**
     * The cause of a failure-mode answer: its audit tag {@code lua-agent:<cause>} other than
     * {@code lua-agent:fail-open} / {@code fail-closed} ({@code time-limit}, {@code overloaded},
     * {@code worker-killed}, ...); {@code "unknown"} when the answer has none.
     */
    static String failureCause(byte[] frame) {
        int from = lastIndexOf(frame, FAILURE_TAG);
        while (from >= 0) {
            int tag = indexOf(frame, TAG, from + 1);
            if (tag < 0) {
                break;
            }
            int start = tag + TAG.length;
            int end = start;
            while (end < frame.length && frame[end] != '"') {
                end++;
            }
            String cause = new String(frame, start, end - start, StandardCharsets.US_ASCII);
            if (!cause.startsWith("fail-")) {
                return cause;
            }
            from = end;
        }
        return "unknown";
    }

    private static int indexOf(byte[] frame, byte[] key, int from) {
        outer:
        for (int i = from; i + key.length <= frame.length; i++) {
            for (int k = 0; k < key.length; k++) {
                if (frame[i + k] != key[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static int lastIndexOf(byte[] frame, byte[] key) {
        outer:
        for (int i = frame.length - key.length; i >= 1; i--) {
            for (int k = 0; k < key.length; k++) {
                if (frame[i + k] != key[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** {@code value} as a JSON string literal (quotes, backslashes and control characters escaped). */
    private static void appendString(StringBuilder json, String value) {
        json.append('"');
        appendRaw(json, value);
        json.append('"');
    }

    private static void appendRaw(StringBuilder json, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
    }
}
