package io.zentinel.sentinel.lua.supervisor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.HeaderListWriter;
import io.zentinel.sentinel.lua.protocol.v1.BodyChunk;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ResponseInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The event file of {@code sentinel-lua-agent test}: one proxy event as JSON, turned into the
 * {@code HookCall} a worker gets. Every member is checked; a message names the member by its path
 * ({@code headers.accept}, {@code request.uri}) and says what is allowed.
 *
 * <pre>
 * {"phase": "request_headers", "method": "GET", "uri": "/api/x?id=1",
 *  "headers": {"authorization": "Bearer x", "accept": ["a", "b"]}, "client_ip": "1.2.3.4"}
 * {"phase": "request_body", "method": "POST", "uri": "/upload", "body": "text"}      (or "body_base64")
 * {"phase": "response_headers", "status": 200, "headers": {...}, "request": {"method": "GET", "uri": "/"}}
 * {"phase": "response_body", "status": 200, "body": "...", "request": {...}}
 * </pre>
 *
 * Request members (top level for request phases, inside {@code request} for response phases):
 * {@code method} (default GET), {@code uri} (default /), {@code headers}, {@code client_ip}
 * (default 127.0.0.1), {@code client_port}, {@code protocol} (default HTTP/1.1), {@code route_id},
 * {@code upstream_id}, {@code server_name}, {@code tls_version}, {@code tls_cipher},
 * {@code traceparent}, {@code request_id}, {@code timestamp}. Every phase also takes
 * {@code correlation_id} (default {@value #DEFAULT_CORRELATION_ID}) and {@code ctx} (an object:
 * {@code sentinel.ctx} as earlier phases left it). Header names are lower-cased, as the proxy
 * sends them; a value is a string or an array of strings.
 */
final class TestEvent {
    static final String DEFAULT_CORRELATION_ID = "test-event";
    /** Largest event file read. */
    static final int MAX_FILE_BYTES = 16 * 1024 * 1024;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final List<String> REQUEST_MEMBERS = List.of("method", "uri", "headers", "client_ip",
            "client_port", "protocol", "route_id", "upstream_id", "server_name", "tls_version", "tls_cipher",
            "traceparent", "request_id", "timestamp");

    /** The phases, as the file names them. */
    enum EventPhase {
        REQUEST_HEADERS(Phase.PHASE_REQUEST_HEADERS, false, false),
        REQUEST_BODY(Phase.PHASE_REQUEST_BODY, false, true),
        RESPONSE_HEADERS(Phase.PHASE_RESPONSE_HEADERS, true, false),
        RESPONSE_BODY(Phase.PHASE_RESPONSE_BODY, true, true);

        final Phase phase;
        final boolean response;
        final boolean body;

        EventPhase(Phase phase, boolean response, boolean body) {
            this.phase = phase;
            this.response = response;
            this.body = body;
        }

        String fileName() {
            return name().toLowerCase(Locale.ROOT);
        }

        Set<String> members() {
            Set<String> members = new LinkedHashSet<>(List.of("phase", "correlation_id", "ctx"));
            if (response) {
                members.addAll(List.of("status", "headers", "request"));
            } else {
                members.addAll(REQUEST_MEMBERS);
            }
            if (body) {
                members.addAll(List.of("body", "body_base64"));
            }
            return members;
        }
    }

    /** An event file that cannot be used; the message names the member and what is allowed. */
    static final class EventFileException extends Exception {
        private static final long serialVersionUID = 1L;

        EventFileException(String message) {
            super(message);
        }
    }

    /**
     * The parsed event.
     *
     * @param phase the phase as the file names it
     * @param call  the call for the worker
     */
    record Parsed(EventPhase phase, HookCall call) {
    }

    private TestEvent() {
    }

    /**
     * Parses an event file's content.
     *
     * @param maxBodyBytes scripts.max-body-bytes: the largest body a worker is handed
     */
    static Parsed parse(byte[] content, long maxBodyBytes) throws EventFileException {
        JsonNode root;
        try {
            root = MAPPER.readTree(content);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
            throw new EventFileException("not valid JSON" + where + ": " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new EventFileException("cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new EventFileException("must be a JSON object with a \"phase\" member (was "
                    + (root == null ? "empty" : kind(root)) + ")");
        }
        JsonNode phaseNode = root.get("phase");
        if (phaseNode == null) {
            throw new EventFileException("phase: missing; one of " + phaseNames());
        }
        EventPhase phase = null;
        for (EventPhase candidate : EventPhase.values()) {
            if (phaseNode.isTextual() && candidate.fileName().equals(phaseNode.asText())) {
                phase = candidate;
            }
        }
        if (phase == null) {
            throw new EventFileException("phase: must be one of " + phaseNames() + " (was " + phaseNode + ")");
        }
        onlyMembers(root, "", phase.members(), "for " + phase.fileName());
        String correlationId = text(root, "correlation_id", "", DEFAULT_CORRELATION_ID);
        HookCall.Builder call = HookCall.newBuilder().setPhase(phase.phase).setCorrelationId(correlationId);
        if (phase.response) {
            JsonNode request = root.get("request");
            if (request != null && !request.isObject()) {
                throw new EventFileException("request: must be an object of request members (was " + kind(request) + ")");
            }
            if (request != null) {
                onlyMembers(request, "request.", new LinkedHashSet<>(REQUEST_MEMBERS), "in request");
            }
            call.setRequest(request(request == null ? MAPPER.createObjectNode() : request, "request.", correlationId));
            JsonNode status = root.get("status");
            if (status == null) {
                throw new EventFileException("status: missing; the response status, 100 to 599, is required for "
                        + phase.fileName());
            }
            if (!status.canConvertToInt() || !status.isIntegralNumber() || status.asInt() < 100 || status.asInt() > 599) {
                throw new EventFileException("status: must be an integer from 100 to 599 (was " + status + ")");
            }
            call.setResponse(ResponseInfo.newBuilder().setStatus(status.asInt())
                    .setHeaderList(headers(root.get("headers"), "")));
        } else {
            call.setRequest(request(root, "", correlationId));
        }
        if (phase.body) {
            // the whole body in one chunk: sent once, as the chunk's data (see BodyChunk)
            ByteString bytes = ByteString.copyFrom(body(root, maxBodyBytes));
            call.setChunk(BodyChunk.newBuilder().setData(bytes).setChunkIndex(0).setIsLast(true).setComplete(true));
        }
        JsonNode ctx = root.get("ctx");
        if (ctx != null) {
            if (!ctx.isObject()) {
                throw new EventFileException("ctx: must be an object, sentinel.ctx as earlier phases left it (was "
                        + kind(ctx) + ")");
            }
            call.setCtx(ByteString.copyFromUtf8(ctx.toString()));
        }
        return new Parsed(phase, call.build());
    }

    private static RequestInfo request(JsonNode node, String prefix, String correlationId) throws EventFileException {
        RequestInfo.Builder request = RequestInfo.newBuilder()
                .setMethod(text(node, "method", prefix, "GET"))
                .setUri(text(node, "uri", prefix, "/"))
                .setHeaderList(headers(node.get("headers"), prefix))
                .setClientIp(text(node, "client_ip", prefix, "127.0.0.1"))
                .setProtocol(text(node, "protocol", prefix, "HTTP/1.1"))
                .setRequestId(text(node, "request_id", prefix, correlationId))
                .setTimestamp(text(node, "timestamp", prefix, ""));
        if (request.getMethod().isEmpty() || !request.getMethod().chars().allMatch(c -> c > 32 && c < 127)) {
            throw new EventFileException(prefix + "method: must be an HTTP method such as GET (was \""
                    + request.getMethod() + "\")");
        }
        if (!request.getUri().startsWith("/") && !request.getUri().equals("*") && !request.getUri().contains("://")) {
            throw new EventFileException(prefix + "uri: must be a path such as /api/x?id=1 (was \""
                    + request.getUri() + "\")");
        }
        JsonNode port = node.get("client_port");
        if (port != null) {
            if (!port.isIntegralNumber() || !port.canConvertToInt() || port.asInt() < 0 || port.asInt() > 65535) {
                throw new EventFileException(prefix + "client_port: must be an integer from 0 to 65535 (was "
                        + port + ")");
            }
            request.setClientPort(port.asInt());
        }
        String value;
        if ((value = text(node, "route_id", prefix, null)) != null) {
            request.setRouteId(value);
        }
        if ((value = text(node, "upstream_id", prefix, null)) != null) {
            request.setUpstreamId(value);
        }
        if ((value = text(node, "server_name", prefix, null)) != null) {
            request.setServerName(value);
        }
        if ((value = text(node, "tls_version", prefix, null)) != null) {
            request.setTlsVersion(value);
        }
        if ((value = text(node, "tls_cipher", prefix, null)) != null) {
            request.setTlsCipher(value);
        }
        if ((value = text(node, "traceparent", prefix, null)) != null) {
            request.setTraceparent(value);
        }
        return request.build();
    }

    /** Headers in file order, encoded; names lower-cased; names that differ only in case are merged. */
    private static ByteString headers(JsonNode node, String prefix) throws EventFileException {
        if (node == null) {
            return ByteString.EMPTY;
        }
        if (!node.isObject()) {
            throw new EventFileException(prefix + "headers: must be an object of name: value (was " + kind(node) + ")");
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String path = prefix + "headers." + field.getKey();
            if (field.getKey().isEmpty() || !field.getKey().chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
                throw new EventFileException(path + ": not a valid header name");
            }
            List<String> values = headers.computeIfAbsent(field.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>());
            JsonNode value = field.getValue();
            if (value.isTextual()) {
                values.add(value.asText());
            } else if (value.isArray()) {
                for (int i = 0; i < value.size(); i++) {
                    if (!value.get(i).isTextual()) {
                        throw new EventFileException(path + "[" + i + "]: must be a string (was " + value.get(i) + ")");
                    }
                    values.add(value.get(i).asText());
                }
            } else {
                throw new EventFileException(path + ": must be a string or an array of strings (was " + value + ")");
            }
        }
        return HeaderListWriter.encode(headers);
    }

    private static byte[] body(JsonNode root, long maxBodyBytes) throws EventFileException {
        JsonNode text = root.get("body");
        JsonNode base64 = root.get("body_base64");
        if (text != null && base64 != null) {
            throw new EventFileException("body cannot be combined with body_base64: give one of them");
        }
        byte[] body;
        if (base64 != null) {
            if (!base64.isTextual()) {
                throw new EventFileException("body_base64: must be a Base64 string (was " + kind(base64) + ")");
            }
            try {
                body = Base64.getDecoder().decode(base64.asText());
            } catch (IllegalArgumentException e) {
                throw new EventFileException("body_base64: not valid Base64: " + e.getMessage());
            }
        } else if (text != null) {
            if (!text.isTextual()) {
                throw new EventFileException("body: must be a string, the body as UTF-8 text (was " + kind(text) + ")");
            }
            body = text.asText().getBytes(StandardCharsets.UTF_8);
        } else {
            body = new byte[0];
        }
        if (body.length > maxBodyBytes) {
            throw new EventFileException("body (" + body.length + " bytes) exceeds the maximum allowed ("
                    + maxBodyBytes + ", from 'scripts.max-body-bytes')");
        }
        return body;
    }

    private static void onlyMembers(JsonNode node, String prefix, Set<String> allowed, String where)
            throws EventFileException {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new EventFileException(prefix + name + ": unknown member " + where + " (allowed: "
                        + String.join(", ", allowed) + ")");
            }
        }
    }

    /** A string member, or {@code fallback} when absent. */
    private static String text(JsonNode node, String name, String prefix, String fallback) throws EventFileException {
        JsonNode value = node.get(name);
        if (value == null) {
            return fallback;
        }
        if (!value.isTextual()) {
            throw new EventFileException(prefix + name + ": must be a string (was " + value + ")");
        }
        return value.asText();
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    private static String phaseNames() {
        List<String> names = new ArrayList<>();
        for (EventPhase phase : EventPhase.values()) {
            names.add(phase.fileName());
        }
        return String.join(", ", names);
    }
}
