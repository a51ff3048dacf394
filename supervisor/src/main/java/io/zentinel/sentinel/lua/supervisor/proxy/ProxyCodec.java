package io.zentinel.sentinel.lua.supervisor.proxy;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Sentinel agent protocol v2 codec: owns the frame type byte and turns JSON payloads into
 * {@link AgentEvent}s and {@link AgentResponse}s into JSON (spec §3, §7–§9).
 *
 * <p>Frames handed to the decoders are what {@code FrameReader.read()} returns: the type byte at
 * index 0, the payload after it. Encoders return the payload only; the caller writes it with
 * {@code FrameWriter.write((byte) TYPE, payload)}.
 *
 * <p>Output is compact UTF-8 JSON with members in the spec's order (the golden frames of §12.4
 * and §12.5 come out byte for byte), integers as integers, no duplicate member names, and no
 * lone UTF-16 surrogates: each one is replaced by U+FFFD, because the proxy discards a response
 * with invalid UTF-8 or an unpaired {@code \}{@code uD800} escape.
 *
 * <p>Thread-safe and stateless apart from the shared {@link JsonFactory}; one instance serves
 * all connections.
 */
public final class ProxyCodec {
    public static final int HANDSHAKE_REQUEST = 0x01;
    public static final int HANDSHAKE_RESPONSE = 0x02;
    public static final int REQUEST_HEADERS = 0x10;
    public static final int REQUEST_BODY_CHUNK = 0x11;
    public static final int RESPONSE_HEADERS = 0x12;
    public static final int RESPONSE_BODY_CHUNK = 0x13;
    public static final int REQUEST_COMPLETE = 0x14;
    public static final int WEBSOCKET_FRAME = 0x15;
    public static final int GUARDRAIL_INSPECT = 0x16;
    public static final int CONFIGURE = 0x17;
    public static final int AGENT_RESPONSE = 0x20;
    public static final int HEALTH_STATUS = 0x30;
    public static final int METRICS_REPORT = 0x31;
    public static final int CONFIG_UPDATE_REQUEST = 0x32;
    public static final int FLOW_CONTROL = 0x33;
    public static final int CANCEL = 0x40;
    public static final int PING = 0x41;
    public static final int PONG = 0x42;

    /** The protocol version this agent speaks and writes into every response. */
    public static final int PROTOCOL_VERSION = 2;

    /** The agent's health as reported in a HealthStatus frame (§9). */
    public enum HealthState {
        HEALTHY(1), DEGRADED(2), DRAINING(3), UNHEALTHY(4);

        private final int wire;

        HealthState(int wire) {
            this.wire = wire;
        }

        public int wire() {
            return wire;
        }
    }

    private final JsonFactory json;
    private final EventDecoder decoder;

    public ProxyCodec() {
        // Field names include header names chosen by HTTP clients: never String.intern them.
        // CANONICALIZE_FIELD_NAMES must stay on: without it jackson parses byte[] input through an
        // InputStreamReader, which is slower and silently replaces invalid UTF-8 with U+FFFD.
        // COMBINE_UNICODE_SURROGATES_IN_UTF8 writes a surrogate pair as one 4-byte UTF-8 sequence
        // instead of two escaped UTF-16 units.
        this.json = JsonFactory.builder()
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
                .build();
        this.decoder = new EventDecoder(json);
    }

    // ---- type bytes -----------------------------------------------------------------------------

    /** Whether {@code type} is an event (0x10–0x17) that needs exactly one AgentResponse. */
    public static boolean isEvent(int type) {
        return type >= REQUEST_HEADERS && type <= CONFIGURE;
    }

    /** Whether {@code type} is one of the protocol's message types (§2); any other byte is fatal. */
    public static boolean isKnownType(int type) {
        return typeName(type) != null;
    }

    /** The spec's name of a message type, or {@code null} for a byte the protocol does not define. */
    public static String typeName(int type) {
        return switch (type) {
            case HANDSHAKE_REQUEST -> "HandshakeRequest";
            case HANDSHAKE_RESPONSE -> "HandshakeResponse";
            case REQUEST_HEADERS -> "RequestHeaders";
            case REQUEST_BODY_CHUNK -> "RequestBodyChunk";
            case RESPONSE_HEADERS -> "ResponseHeaders";
            case RESPONSE_BODY_CHUNK -> "ResponseBodyChunk";
            case REQUEST_COMPLETE -> "RequestComplete";
            case WEBSOCKET_FRAME -> "WebSocketFrame";
            case GUARDRAIL_INSPECT -> "GuardrailInspect";
            case CONFIGURE -> "Configure";
            case AGENT_RESPONSE -> "AgentResponse";
            case HEALTH_STATUS -> "HealthStatus";
            case METRICS_REPORT -> "MetricsReport";
            case CONFIG_UPDATE_REQUEST -> "ConfigUpdateRequest";
            case FLOW_CONTROL -> "FlowControl";
            case CANCEL -> "Cancel";
            case PING -> "Ping";
            case PONG -> "Pong";
            default -> null;
        };
    }

    // ---- decoding -------------------------------------------------------------------------------

    /**
     * Decodes an event frame (type 0x10–0x17). Never throws for a bad payload: it becomes
     * {@link AgentEvent.Malformed} with the best id found (top-level {@code correlation_id}, else
     * {@code metadata.correlation_id}, else {@code ""}).
     *
     * @throws IllegalArgumentException if the frame is not an event frame
     */
    public AgentEvent decodeEvent(byte[] frame) {
        int type = frame.length == 0 ? -1 : frame[0] & 0xFF;
        if (!isEvent(type)) {
            throw new IllegalArgumentException("not an event frame (type " + hex(type) + ")");
        }
        return decoder.decodeEvent(type, frame, 1, frame.length - 1);
    }

    /**
     * Decodes a HandshakeRequest frame (type 0x01).
     *
     * @throws IOException when the payload is not a valid HandshakeRequest; the message says why
     */
    public HandshakeRequest decodeHandshake(byte[] frame) throws IOException {
        requireType(frame, HANDSHAKE_REQUEST);
        return decoder.decodeHandshake(frame, 1, frame.length - 1);
    }

    /** The correlation id of a Cancel frame (type 0x40), {@code ""} when it has none. */
    public String decodeCancel(byte[] frame) {
        requireType(frame, CANCEL);
        return decoder.decodeCancel(frame, 1, frame.length - 1);
    }

    // ---- encoding -------------------------------------------------------------------------------

    /** The JSON payload of a HandshakeResponse (0x02) with every required member (§3.2). */
    public byte[] encodeHandshakeResponse(AgentCapabilities caps, boolean success, String error) {
        return write(64 + 16 * caps.supportedEvents().size() + 400, g -> {
            g.writeStartObject();
            g.writeNumberField("protocol_version", PROTOCOL_VERSION);
            g.writeObjectFieldStart("capabilities");
            writeString(g, "agent_id", caps.agentId());
            writeString(g, "name", caps.name());
            writeString(g, "version", caps.version());
            g.writeArrayFieldStart("supported_events");
            for (int event : caps.supportedEvents()) {
                g.writeNumber(event);
            }
            g.writeEndArray();
            g.writeObjectFieldStart("features");
            g.writeBooleanField("streaming_body", caps.streamingBody());
            g.writeBooleanField("websocket", false);
            g.writeBooleanField("guardrails", false);
            g.writeBooleanField("config_push", false);
            g.writeBooleanField("metrics_export", caps.metricsExport());
            g.writeNumberField("concurrent_requests", caps.maxConcurrency());
            g.writeBooleanField("cancellation", false);
            g.writeBooleanField("flow_control", false);
            g.writeBooleanField("health_reporting", caps.healthReporting());
            g.writeEndObject();
            g.writeObjectFieldStart("limits");
            g.writeNumberField("max_body_size", caps.maxBodySize());
            g.writeNumberField("max_concurrency", caps.maxConcurrency());
            g.writeNumberField("preferred_chunk_size", caps.preferredChunkSize());
            g.writeEndObject();
            g.writeEndObject();
            g.writeBooleanField("success", success);
            writeString(g, "error", success ? null : (error == null ? "refused" : error));
            g.writeStringField("encoding", "json");
            g.writeEndObject();
        });
    }

    /**
     * The JSON payload of an AgentResponse (0x20), exactly as §8 lays it out, with
     * {@code audit.custom.correlation_id} set to the response's correlation id.
     *
     * @throws IllegalArgumentException if {@code websocketDecision} is neither {@code null},
     *                                  {@code "allow"} nor {@code "drop"}
     */
    public byte[] encodeResponse(AgentResponse r) {
        String websocket = r.websocketDecision();
        if (websocket != null && !websocket.equals("allow") && !websocket.equals("drop")) {
            throw new IllegalArgumentException("websocket decision must be \"allow\" or \"drop\" (was \"" + websocket + "\")");
        }
        return write(512, g -> {
            g.writeStartObject();
            g.writeNumberField("version", PROTOCOL_VERSION);
            g.writeFieldName("decision");
            writeDecision(g, r.decision());
            g.writeFieldName("request_headers");
            writeHeaderOps(g, r.requestHeaders());
            g.writeFieldName("response_headers");
            writeHeaderOps(g, r.responseHeaders());
            g.writeFieldName("routing_metadata");
            writeStringMap(g, r.routingMetadata());
            g.writeObjectFieldStart("audit");
            writeStrings(g, "tags", r.audit().tags());
            writeStrings(g, "rule_ids", r.audit().ruleIds());
            g.writeNullField("confidence");
            writeStrings(g, "reason_codes", r.audit().reasonCodes());
            g.writeObjectFieldStart("custom");
            writeString(g, "correlation_id", r.correlationId());
            g.writeEndObject();
            g.writeEndObject();
            g.writeBooleanField("needs_more", r.needsMore());
            g.writeFieldName("request_body_mutation");
            writeMutation(g, r.requestBodyMutation());
            g.writeFieldName("response_body_mutation");
            writeMutation(g, r.responseBodyMutation());
            writeString(g, "websocket_decision", websocket);
            g.writeEndObject();
        });
    }

    /** The payload of a Pong (0x42): the Ping frame's payload bytes, unchanged (§9). */
    public byte[] encodePong(byte[] pingFrame) {
        requireType(pingFrame, PING);
        return Arrays.copyOfRange(pingFrame, 1, pingFrame.length);
    }

    /** The JSON payload of a HealthStatus frame (0x30): {@code {"state":n}}. */
    public byte[] encodeHealthStatus(HealthState state) {
        return encodeHealthStatus(state, null);
    }

    /**
     * The JSON payload of a HealthStatus frame (0x30) with the reason as an extra member (the spec
     * allows them): {@code {"state":n,"reason":"…"}}; no member when {@code reason} is {@code null}.
     */
    public byte[] encodeHealthStatus(HealthState state, String reason) {
        return write(64, g -> {
            g.writeStartObject();
            g.writeNumberField("state", state.wire());
            if (reason != null) {
                writeString(g, "reason", reason);
            }
            g.writeEndObject();
        });
    }

    /** The JSON payload of a MetricsReport frame (0x31). */
    public byte[] encodeMetricsReport(MetricsReport report) {
        return write(256, g -> {
            g.writeStartObject();
            writeString(g, "agent_id", report.agentId());
            g.writeNumberField("timestamp_ms", report.timestampMs());
            g.writeNumberField("interval_ms", report.intervalMs());
            g.writeArrayFieldStart("counters");
            for (MetricsReport.Counter c : report.counters()) {
                g.writeStartObject();
                writeString(g, "name", c.name());
                if (c.help() != null) {
                    writeString(g, "help", c.help());
                }
                g.writeFieldName("labels");
                writeStringMap(g, c.labels());
                g.writeNumberField("value", c.value());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("gauges");
            for (MetricsReport.Gauge gauge : report.gauges()) {
                g.writeStartObject();
                writeString(g, "name", gauge.name());
                if (gauge.help() != null) {
                    writeString(g, "help", gauge.help());
                }
                g.writeFieldName("labels");
                writeStringMap(g, gauge.labels());
                g.writeNumberField("value", gauge.value());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("histograms");
            for (MetricsReport.Histogram h : report.histograms()) {
                g.writeStartObject();
                writeString(g, "name", h.name());
                g.writeFieldName("labels");
                writeStringMap(g, h.labels());
                g.writeNumberField("sum", h.sum());
                g.writeNumberField("count", h.count());
                g.writeArrayFieldStart("buckets");
                for (MetricsReport.Bucket b : h.buckets()) {
                    g.writeStartObject();
                    if (b.le() == Double.POSITIVE_INFINITY) {
                        g.writeStringField("le", "+Inf");
                    } else {
                        g.writeNumberField("le", b.le());
                    }
                    g.writeNumberField("count", b.count());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    // ---- JSON helpers ---------------------------------------------------------------------------

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private byte[] write(int sizeHint, Body body) {
        ByteArrayBuilder out = new ByteArrayBuilder(sizeHint);
        try (JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException("JSON encoding into memory failed", e);
        }
        return out.toByteArray();
    }

    private static void writeDecision(JsonGenerator g, Decision decision) throws IOException {
        switch (decision) {
            case Decision.Allow allow -> g.writeString("allow");
            case Decision.Block block -> {
                g.writeStartObject();
                g.writeObjectFieldStart("block");
                g.writeNumberField("status", block.status());
                writeString(g, "body", block.body());
                g.writeFieldName("headers");
                if (block.headers() == null) {
                    g.writeNull();
                } else {
                    writeStringMap(g, block.headers());
                }
                g.writeEndObject();
                g.writeEndObject();
            }
            case Decision.Redirect redirect -> {
                g.writeStartObject();
                g.writeObjectFieldStart("redirect");
                writeString(g, "url", redirect.url());
                g.writeNumberField("status", redirect.status());
                g.writeEndObject();
                g.writeEndObject();
            }
        }
    }

    private static void writeHeaderOps(JsonGenerator g, List<AgentResponse.HeaderOp> ops) throws IOException {
        g.writeStartArray();
        for (AgentResponse.HeaderOp op : ops) {
            g.writeStartObject();
            g.writeObjectFieldStart(switch (op.kind()) {
                case SET -> "set";
                case ADD -> "add";
                case REMOVE -> "remove";
            });
            writeString(g, "name", op.name());
            if (op.kind() != AgentResponse.HeaderOp.Kind.REMOVE) {
                writeString(g, "value", op.value());
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** A string → string object; keys that become equal once repaired are written once (first wins). */
    private static void writeStringMap(JsonGenerator g, Map<String, String> map) throws IOException {
        g.writeStartObject();
        Set<String> taken = null; // built only once a key needed repair: all keys written or to be written
        for (Map.Entry<String, String> e : map.entrySet()) {
            String key = wellFormed(e.getKey());
            if (key != e.getKey()) {
                if (taken == null) {
                    taken = new HashSet<>();
                    for (String k : map.keySet()) {
                        if (wellFormed(k) == k) {
                            taken.add(k);
                        }
                    }
                }
                if (!taken.add(key)) {
                    continue;
                }
            }
            g.writeFieldName(key);
            g.writeString(e.getValue() == null ? "" : wellFormed(e.getValue()));
        }
        g.writeEndObject();
    }

    private static void writeStrings(JsonGenerator g, String name, List<String> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (String v : values) {
            g.writeString(v == null ? "" : wellFormed(v));
        }
        g.writeEndArray();
    }

    private static void writeMutation(JsonGenerator g, AgentResponse.BodyMutation m) throws IOException {
        if (m == null) {
            g.writeNull();
            return;
        }
        g.writeStartObject();
        writeString(g, "data", m.data());
        g.writeNumberField("chunk_index", m.chunkIndex());
        g.writeEndObject();
    }

    /** A string member, or {@code null} when {@code value} is null. */
    private static void writeString(JsonGenerator g, String name, String value) throws IOException {
        g.writeFieldName(name);
        if (value == null) {
            g.writeNull();
        } else {
            g.writeString(wellFormed(value));
        }
    }

    /**
     * {@code s} with every unpaired UTF-16 surrogate replaced by U+FFFD; {@code s} itself (same
     * reference) when it has none, which is the common case and costs one scan.
     */
    static String wellFormed(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return repair(s, i);
            }
        }
        return s;
    }

    private static String repair(String s, int from) {
        int n = s.length();
        StringBuilder sb = new StringBuilder(n).append(s, 0, from);
        boolean changed = false;
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                sb.append('\uFFFD');
                changed = true;
            } else {
                sb.append(c);
            }
        }
        return changed ? sb.toString() : s;
    }

    private static void requireType(byte[] frame, int type) {
        int actual = frame.length == 0 ? -1 : frame[0] & 0xFF;
        if (actual != type) {
            throw new IllegalArgumentException("expected a " + typeName(type) + " frame (type " + hex(type)
                    + "), got type " + hex(actual));
        }
    }

    static String hex(int type) {
        return type < 0 ? "none" : String.format("0x%02x", type);
    }
}
