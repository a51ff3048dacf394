package io.zentinel.sentinel.lua.supervisor.proxy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * The golden frames of agent-protocol-v2.md §12, copied verbatim: the five header bytes as the
 * spec prints them and the payload text (UTF-8, no trailing newline).
 */
public final class GoldenFrames {

    /** One golden frame. */
    public record Golden(String headerHex, String payloadText) {
        /** The five header bytes (length prefix and type byte). */
        public byte[] header() {
            return HexFormat.ofDelimiter(" ").parseHex(headerHex);
        }

        public byte[] payload() {
            return payloadText.getBytes(StandardCharsets.UTF_8);
        }

        public int type() {
            return header()[4] & 0xFF;
        }

        /** Header followed by payload: the frame exactly as on the wire. */
        public byte[] wire() {
            byte[] h = header();
            byte[] p = payload();
            byte[] all = new byte[h.length + p.length];
            System.arraycopy(h, 0, all, 0, h.length);
            System.arraycopy(p, 0, all, h.length, p.length);
            return all;
        }

        /** What {@code FrameReader.read()} returns for it: type byte, then payload. */
        public byte[] frame() {
            byte[] p = payload();
            byte[] all = new byte[1 + p.length];
            all[0] = (byte) type();
            System.arraycopy(p, 0, all, 1, p.length);
            return all;
        }
    }

    /** §12.1 Handshake request (proxy → agent). */
    public static final Golden HANDSHAKE_REQUEST = new Golden("00 00 00 7d 01",
            "{\"supported_versions\":[2],\"proxy_id\":\"zentinel-proxy\",\"proxy_version\":\"0.6.20\","
            + "\"config\":null,\"supported_encodings\":[\"json\"]}");

    /** §12.2 Handshake response (agent → proxy; the reference Lua agent's answer). */
    public static final Golden HANDSHAKE_RESPONSE = new Golden("00 00 01 e2 02",
            "{\"protocol_version\":2,\"capabilities\":{\"agent_id\":\"zentinel-lua-agent\","
            + "\"name\":\"Zentinel Lua Agent\",\"version\":\"0.2.0\",\"supported_events\":[1,3],"
            + "\"features\":{\"streaming_body\":false,\"websocket\":false,\"guardrails\":false,"
            + "\"config_push\":true,\"metrics_export\":true,\"concurrent_requests\":100,"
            + "\"cancellation\":false,\"flow_control\":false,\"health_reporting\":true},"
            + "\"limits\":{\"max_body_size\":10485760,\"max_concurrency\":100,"
            + "\"preferred_chunk_size\":65536}},\"success\":true,\"error\":null,\"encoding\":\"json\"}");

    /** §12.3 RequestHeaders event (proxy → agent). */
    public static final Golden REQUEST_HEADERS = new Golden("00 00 02 0c 10",
            "{\"correlation_id\":\"Jx7Qm2Rp4Kd\",\"headers\":{\"accept\":[\"*/*\"],"
            + "\"host\":[\"example.com\"],\"user-agent\":[\"curl/8.5.0\"],"
            + "\"x-correlation-id\":[\"Jx7Qm2Rp4Kd\"],\"x-forwarded-by\":[\"Zentinel\"]},"
            + "\"metadata\":{\"client_ip\":\"127.0.0.1:51514\",\"client_port\":0,"
            + "\"correlation_id\":\"Jx7Qm2Rp4Kd\",\"protocol\":\"HTTP/1.1\","
            + "\"request_id\":\"6f1c2a9e-4b7d-4e21-9a53-0c8d2f6b1e77\",\"route_id\":\"api\","
            + "\"server_name\":null,\"timestamp\":\"2026-07-01T09:30:00.123456789+00:00\","
            + "\"tls_cipher\":null,\"tls_version\":null,\"upstream_id\":null},\"method\":\"GET\","
            + "\"uri\":\"/api/users?id=42\"}");

    /** §12.4 Allow with header mutations (agent → proxy). */
    public static final Golden ALLOW_WITH_HEADER_OPS = new Golden("00 00 01 b6 20",
            "{\"version\":2,\"decision\":\"allow\",\"request_headers\":[{\"set\":{\"name\":\"x-user-id\","
            + "\"value\":\"42\"}},{\"remove\":{\"name\":\"cookie\"}}],"
            + "\"response_headers\":[{\"add\":{\"name\":\"x-inspected-by\",\"value\":\"java-agent\"}}],"
            + "\"routing_metadata\":{},\"audit\":{\"tags\":[],\"rule_ids\":[],\"confidence\":null,"
            + "\"reason_codes\":[],\"custom\":{\"correlation_id\":\"Jx7Qm2Rp4Kd\"}},\"needs_more\":false,"
            + "\"request_body_mutation\":null,\"response_body_mutation\":null,"
            + "\"websocket_decision\":null}");

    /** §12.5 Block (agent → proxy). */
    public static final Golden BLOCK = new Golden("00 00 01 93 20",
            "{\"version\":2,\"decision\":{\"block\":{\"status\":403,\"body\":\"Forbidden\","
            + "\"headers\":{\"content-type\":\"text/plain\"}}},\"request_headers\":[],"
            + "\"response_headers\":[],\"routing_metadata\":{},\"audit\":{\"tags\":[\"waf\"],"
            + "\"rule_ids\":[\"942100\"],\"confidence\":null,\"reason_codes\":[],"
            + "\"custom\":{\"correlation_id\":\"Jx7Qm2Rp4Kd\"}},\"needs_more\":false,"
            + "\"request_body_mutation\":null,\"response_body_mutation\":null,"
            + "\"websocket_decision\":null}");

    /** §12.6 RequestBodyChunk event (proxy → agent). */
    public static final Golden REQUEST_BODY_CHUNK = new Golden("00 00 00 86 11",
            "{\"bytes_received\":16,\"chunk_index\":0,\"correlation_id\":\"Jx7Qm2Rp4Kd\","
            + "\"data\":\"eyJuYW1lIjoiYWxpY2UifQ==\",\"is_last\":true,\"total_size\":16}");

    /** §12.7 ResponseHeaders event (proxy → agent). */
    public static final Golden RESPONSE_HEADERS = new Golden("00 00 00 76 12",
            "{\"correlation_id\":\"Jx7Qm2Rp4Kd\",\"headers\":{\"content-length\":[\"27\"],"
            + "\"content-type\":[\"application/json\"]},\"status\":200}");

    /** §12.8 Ping (proxy → agent). */
    public static final Golden PING = new Golden("00 00 00 2c 41",
            "{\"sequence\":0,\"timestamp_ms\":1782898200123}");

    /** §12.9 Pong (agent → proxy), echoing 12.8. */
    public static final Golden PONG = new Golden("00 00 00 2c 42",
            "{\"sequence\":0,\"timestamp_ms\":1782898200123}");

    /** §12.10 Cancel (proxy → agent), reason 1 = timeout. */
    public static final Golden CANCEL = new Golden("00 00 00 49 40",
            "{\"correlation_id\":\"Jx7Qm2Rp4Kd\",\"reason\":1,\"timestamp_ms\":1782898200123}");

    private GoldenFrames() {
    }
}
