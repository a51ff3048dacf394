package io.zentinel.sentinel.lua.worker.bench;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.BodyChunk;
import io.zentinel.sentinel.lua.protocol.HeaderListWriter;
import io.zentinel.sentinel.lua.protocol.v1.HeaderMutation;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Metadata;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/**
 * The JSON side of the in-process benchmark agent: agent protocol v2 events into {@code HookCall}s
 * and {@code HookResult}s into AgentResponse JSON, doing the work the real agent's supervisor does
 * (its {@code EventDecoder}, {@code EventMapping}, {@code DecisionPolicy} and
 * {@code ProxyCodec.encodeResponse}, which this module cannot use: the worker never depends on the
 * supervisor) as far as the benchmark's events need it:
 *
 * <ul>
 * <li>a jackson-core streaming parser configured as the agent's, the headers straight into the
 *     call's encoded {@code header_list} with the agent's {@code HeaderListWriter}, the client address split into address and port, Base64 bodies decoded by jackson;</li>
 * <li>the answer with every member of §8 in the agent's order, written by a jackson-core generator.</li>
 * </ul>
 *
 * <p>Left out, because the benchmark's traffic never needs them: the checks that turn a bad payload
 * into a precise message (a bad one here is an {@link IOException}, answered with the failure
 * mode), ResponseHeaders and ResponseBody events, the transaction store (a body event is its one
 * chunk) and {@code sentinel.ctx}. Stateless and thread-safe.
 */
final class InProcessCodec {
    static final int HANDSHAKE_REQUEST = 0x01;
    static final int HANDSHAKE_RESPONSE = 0x02;
    static final int REQUEST_HEADERS = 0x10;
    static final int REQUEST_BODY_CHUNK = 0x11;
    static final int AGENT_RESPONSE = 0x20;

    private static final Base64Variant BASE64 = Base64Variants.MIME_NO_LINEFEEDS
            .withReadPadding(Base64Variant.PaddingReadBehaviour.PADDING_ALLOWED);

    /** An event: the call to run, or {@code call == null} for an event no hook handles (answered allow). */
    record Event(String correlationId, HookCall call) {
    }

    private final JsonFactory json = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
            .build();

    /** Decodes an event frame (type byte first). */
    Event decode(byte[] frame) throws IOException {
        int type = frame[0] & 0xFF;
        try (JsonParser p = json.createParser(frame, 1, frame.length - 1)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("payload must be a JSON object");
            }
            return switch (type) {
                case REQUEST_HEADERS -> requestHeaders(p);
                case REQUEST_BODY_CHUNK -> requestBody(p);
                default -> new Event(skipToId(p), null);
            };
        }
    }

    private Event requestHeaders(JsonParser p) throws IOException {
        String id = null;
        String method = "";
        String uri = "";
        ByteString headers = ByteString.EMPTY;
        RequestInfo.Builder request = RequestInfo.newBuilder();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "correlation_id" -> id = p.getText();
                case "method" -> method = p.getText();
                case "uri" -> uri = p.getText();
                case "headers" -> headers = headers(p);
                case "metadata" -> {
                    if (value == JsonToken.START_OBJECT) {
                        metadata(p, request);
                    }
                }
                default -> p.skipChildren();
            }
        }
        request.setMethod(method).setUri(uri).setHeaderList(headers);
        if (id == null) {
            throw new IOException("missing member 'correlation_id'");
        }
        return new Event(id, HookCall.newBuilder()
                .setPhase(Phase.PHASE_REQUEST_HEADERS)
                .setCorrelationId(id)
                .setRequest(request)
                .build());
    }

    private static ByteString headers(JsonParser p) throws IOException {
        HeaderListWriter headers = new HeaderListWriter(1024);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            headers.startHeader(p.currentName());
            p.nextToken();
            while (p.nextToken() == JsonToken.VALUE_STRING) {
                headers.addValue(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
            }
            headers.endHeader();
        }
        return headers.toByteString();
    }

    private static void metadata(JsonParser p, RequestInfo.Builder request) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.VALUE_NULL) {
                continue;
            }
            switch (name) {
                case "client_ip" -> {
                    String address = p.getText();
                    int colon = address.indexOf(':');
                    if (colon >= 0 && colon == address.lastIndexOf(':')) {
                        request.setClientIp(address.substring(0, colon));
                        request.setClientPort(Integer.parseInt(address.substring(colon + 1)));
                    } else {
                        request.setClientIp(address);
                    }
                }
                case "protocol" -> request.setProtocol(p.getText());
                case "request_id" -> request.setRequestId(p.getText());
                case "timestamp" -> request.setTimestamp(p.getText());
                case "route_id" -> request.setRouteId(p.getText());
                case "upstream_id" -> request.setUpstreamId(p.getText());
                case "server_name" -> request.setServerName(p.getText());
                case "tls_version" -> request.setTlsVersion(p.getText());
                case "tls_cipher" -> request.setTlsCipher(p.getText());
                case "traceparent" -> request.setTraceparent(p.getText());
                default -> p.skipChildren();
            }
        }
    }

    private Event requestBody(JsonParser p) throws IOException {
        String id = null;
        byte[] data = null;
        int chunkIndex = 0;
        boolean last = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "correlation_id" -> id = p.getText();
                case "data" -> data = p.getBinaryValue(BASE64);
                case "chunk_index" -> chunkIndex = value == JsonToken.VALUE_NULL ? 0 : p.getIntValue();
                case "is_last" -> last = value == JsonToken.VALUE_TRUE;
                default -> p.skipChildren();
            }
        }
        if (id == null || data == null) {
            throw new IOException("missing member 'correlation_id' or 'data'");
        }
        ByteString bytes = ByteString.copyFrom(data);
        BodyChunk.Builder chunk = BodyChunk.newBuilder().setData(bytes).setChunkIndex(chunkIndex)
                .setIsLast(last).setComplete(last);
        if (last) {
            chunk.setBody(bytes); // no transaction store: the body is this one chunk
        }
        return new Event(id, HookCall.newBuilder()
                .setPhase(Phase.PHASE_REQUEST_BODY)
                .setCorrelationId(id)
                .setRequest(RequestInfo.getDefaultInstance())
                .setChunk(chunk)
                .build());
    }

    private static String skipToId(JsonParser p) throws IOException {
        String id = "";
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            if (name.equals("correlation_id")) {
                id = p.getText();
            } else {
                p.skipChildren();
            }
        }
        return id;
    }

    // ---------------------------------------------------------------- answers

    /** The HandshakeResponse payload: the agent's members, success. */
    byte[] handshakeResponse() {
        return write(g -> {
            g.writeStartObject();
            g.writeNumberField("protocol_version", 2);
            g.writeObjectFieldStart("capabilities");
            g.writeStringField("agent_id", "sentinel-lua-in-process");
            g.writeStringField("name", "sentinel-lua-in-process");
            g.writeStringField("version", "bench");
            g.writeArrayFieldStart("supported_events");
            g.writeNumber(1);
            g.writeNumber(2);
            g.writeEndArray();
            g.writeObjectFieldStart("features");
            for (String feature : List.of("streaming_body", "websocket", "guardrails", "config_push", "metrics_export")) {
                g.writeBooleanField(feature, false);
            }
            g.writeNumberField("concurrent_requests", 200);
            for (String feature : List.of("cancellation", "flow_control", "health_reporting")) {
                g.writeBooleanField(feature, false);
            }
            g.writeEndObject();
            g.writeObjectFieldStart("limits");
            g.writeNumberField("max_body_size", 1048576);
            g.writeNumberField("max_concurrency", 200);
            g.writeNumberField("preferred_chunk_size", 65536);
            g.writeEndObject();
            g.writeEndObject();
            g.writeBooleanField("success", true);
            g.writeNullField("error");
            g.writeStringField("encoding", "json");
            g.writeEndObject();
        });
    }

    /** The AgentResponse payload of a call's result; a failure becomes the fail-open answer. */
    byte[] answer(String id, HookResult result) {
        if (!result.hasVerdict()) {
            String cause = result.hasFailure()
                    ? result.getFailure().getKind().name().toLowerCase(Locale.ROOT).replace('_', '-') : "internal-error";
            return failOpen(id, cause);
        }
        Verdict v = result.getVerdict();
        return write(g -> {
            g.writeStartObject();
            g.writeNumberField("version", 2);
            g.writeFieldName("decision");
            switch (v.getAction()) {
                case BLOCK -> {
                    g.writeStartObject();
                    g.writeObjectFieldStart("block");
                    g.writeNumberField("status", v.getStatus() == 0 ? 403 : v.getStatus());
                    g.writeFieldName("body");
                    if (v.hasBody()) {
                        g.writeString(v.getBody());
                    } else {
                        g.writeNull();
                    }
                    g.writeNullField("headers");
                    g.writeEndObject();
                    g.writeEndObject();
                }
                case REDIRECT -> {
                    g.writeStartObject();
                    g.writeObjectFieldStart("redirect");
                    g.writeStringField("url", v.getRedirectUrl());
                    g.writeNumberField("status", v.getStatus() == 0 ? 302 : v.getStatus());
                    g.writeEndObject();
                    g.writeEndObject();
                }
                default -> g.writeString("allow");
            }
            g.writeFieldName("request_headers");
            headerOps(g, v.getRequestHeadersList());
            g.writeFieldName("response_headers");
            headerOps(g, v.getResponseHeadersList());
            g.writeObjectFieldStart("routing_metadata");
            for (Metadata m : v.getMetadataList()) {
                g.writeStringField(m.getKey(), m.getValue());
            }
            g.writeEndObject();
            audit(g, id, v.getTagsList(), v.getRuleIdsList(), List.of());
            g.writeBooleanField("needs_more", v.getNeedsMore());
            g.writeNullField("request_body_mutation");
            g.writeNullField("response_body_mutation");
            g.writeNullField("websocket_decision");
            g.writeEndObject();
        });
    }

    /** Allow, with the agent's fail-open audit tags for {@code cause}. */
    byte[] failOpen(String id, String cause) {
        return write(g -> {
            g.writeStartObject();
            g.writeNumberField("version", 2);
            g.writeStringField("decision", "allow");
            g.writeArrayFieldStart("request_headers");
            g.writeEndArray();
            g.writeArrayFieldStart("response_headers");
            g.writeEndArray();
            g.writeObjectFieldStart("routing_metadata");
            g.writeEndObject();
            audit(g, id, List.of("lua-agent:fail-open", "lua-agent:" + cause), List.of(), List.of(cause));
            g.writeBooleanField("needs_more", false);
            g.writeNullField("request_body_mutation");
            g.writeNullField("response_body_mutation");
            g.writeNullField("websocket_decision");
            g.writeEndObject();
        });
    }

    private static void audit(JsonGenerator g, String id, List<String> tags, List<String> ruleIds,
            List<String> reasonCodes) throws IOException {
        g.writeObjectFieldStart("audit");
        strings(g, "tags", tags);
        strings(g, "rule_ids", ruleIds);
        g.writeNullField("confidence");
        strings(g, "reason_codes", reasonCodes);
        g.writeObjectFieldStart("custom");
        g.writeStringField("correlation_id", id);
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void strings(JsonGenerator g, String name, List<String> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    private static void headerOps(JsonGenerator g, List<HeaderMutation> ops) throws IOException {
        g.writeStartArray();
        for (HeaderMutation m : ops) {
            String op = switch (m.getOp()) {
                case SET -> "set";
                case ADD -> "add";
                case REMOVE -> "remove";
                default -> null;
            };
            if (op == null || m.getName().isEmpty()) {
                continue;
            }
            g.writeStartObject();
            g.writeObjectFieldStart(op);
            g.writeStringField("name", m.getName());
            if (m.getOp() != HeaderMutation.Op.REMOVE) {
                g.writeStringField("value", m.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private byte[] write(Body body) {
        ByteArrayBuilder out = new ByteArrayBuilder(512);
        try (JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
