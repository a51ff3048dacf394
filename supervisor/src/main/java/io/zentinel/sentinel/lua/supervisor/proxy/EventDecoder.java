package io.zentinel.sentinel.lua.supervisor.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.zentinel.sentinel.lua.protocol.HeaderListWriter;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The decoding half of {@link ProxyCodec}: proxy → agent JSON payloads into records, with
 * jackson-core's streaming parser (one pass, no reflection).
 *
 * <p>Member order is irrelevant, unknown members are skipped, and {@code null} is treated like an
 * absent member. A member with the wrong JSON type, a missing required member, bad Base64 or
 * broken JSON makes the payload malformed. Thread-safe: each call has its own parser.
 */
final class EventDecoder {
    static final AgentEvent.RequestMetadata NO_METADATA =
            new AgentEvent.RequestMetadata(null, 0, null, null, null, null, null, null, null, null, null);

    /** jackson's placeholder for the (deliberately unlogged) input inside nested locations. */
    private static final Pattern REDACTED_SOURCE = Pattern.compile("\\[Source: REDACTED \\(`[^`]*` disabled\\); ");

    /** At most this much is set aside for an event's encoded headers at first; it grows as needed. */
    private static final int HEADER_BUFFER_GUESS = 16 * 1024;

    private final JsonFactory json;

    EventDecoder(JsonFactory json) {
        this.json = json;
    }

    /** A payload that does not match the spec; the message says which member and why. */
    static final class PayloadException extends IOException {
        private static final long serialVersionUID = 1L;

        PayloadException(String message) {
            super(message);
        }
    }

    /** The correlation ids seen so far, so that a payload failing later still has the best id. */
    private static final class Ids {
        String top;
        String metadata;

        String best() {
            return top != null ? top : metadata;
        }
    }

    AgentEvent decodeEvent(int type, byte[] buf, int offset, int length) {
        Ids ids = new Ids();
        try (JsonParser p = json.createParser(buf, offset, length)) {
            startRootObject(p);
            AgentEvent event = switch (type) {
                case ProxyCodec.REQUEST_HEADERS -> requestHeaders(p, ids, length);
                case ProxyCodec.REQUEST_BODY_CHUNK -> bodyChunk(p, ids, type, "bytes_received", buf, offset, length);
                case ProxyCodec.RESPONSE_HEADERS -> responseHeaders(p, ids, length);
                case ProxyCodec.RESPONSE_BODY_CHUNK -> bodyChunk(p, ids, type, "bytes_sent", buf, offset, length);
                default -> unhandled(p, ids, type);
            };
            endRoot(p);
            return event;
        } catch (IOException | RuntimeException e) {
            return new AgentEvent.Malformed(bestId(ids, buf, offset, length), type, problem(e));
        }
    }

    HandshakeRequest decodeHandshake(byte[] buf, int offset, int length) throws PayloadException {
        try (JsonParser p = json.createParser(buf, offset, length)) {
            startRootObject(p);
            List<Long> versions = null;
            String proxyId = null;
            String proxyVersion = null;
            List<String> encodings = null;
            while (nextMember(p)) {
                switch (p.currentName()) {
                    case "supported_versions" -> versions = unsignedIntArray(p, "supported_versions");
                    case "proxy_id" -> proxyId = string(p, "proxy_id");
                    case "proxy_version" -> proxyVersion = string(p, "proxy_version");
                    case "supported_encodings" -> encodings = stringArray(p, "supported_encodings");
                    default -> p.skipChildren();
                }
            }
            endRoot(p);
            if (versions == null) {
                throw new PayloadException("missing member 'supported_versions'");
            }
            return new HandshakeRequest(versions, proxyId, proxyVersion, encodings);
        } catch (PayloadException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new PayloadException(problem(e));
        }
    }

    /** The id of a Cancel payload: never fails, {@code ""} when there is none. */
    String decodeCancel(byte[] buf, int offset, int length) {
        Ids ids = new Ids();
        try (JsonParser p = json.createParser(buf, offset, length)) {
            startRootObject(p);
            while (nextMember(p)) {
                if (p.currentName().equals("correlation_id")) {
                    ids.top = string(p, "correlation_id");
                } else {
                    p.skipChildren();
                }
            }
            endRoot(p);
            return ids.top == null ? "" : ids.top;
        } catch (IOException | RuntimeException e) {
            return bestId(ids, buf, offset, length);
        }
    }

    // ---- events ---------------------------------------------------------------------------------

    private AgentEvent requestHeaders(JsonParser p, Ids ids, int payloadBytes) throws IOException {
        String method = null;
        String uri = null;
        EventHeaders headers = null;
        AgentEvent.RequestMetadata metadata = null;
        while (nextMember(p)) {
            switch (p.currentName()) {
                case "correlation_id" -> ids.top = string(p, "correlation_id");
                case "method" -> method = string(p, "method");
                case "uri" -> uri = string(p, "uri");
                case "headers" -> headers = headers(p, "headers", payloadBytes);
                case "metadata" -> metadata = metadata(p, ids);
                default -> p.skipChildren();
            }
        }
        return new AgentEvent.RequestHeaders(requireId(ids), require(method, "method"), require(uri, "uri"),
                headers, metadata == null ? NO_METADATA : metadata);
    }

    private AgentEvent.RequestMetadata metadata(JsonParser p, Ids ids) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        expectObject(p, "metadata");
        String clientIp = null;
        int clientPort = 0;
        String protocol = null;
        String requestId = null;
        String routeId = null;
        String serverName = null;
        String timestamp = null;
        String tlsCipher = null;
        String tlsVersion = null;
        String traceparent = null;
        String upstreamId = null;
        while (nextMember(p)) {
            switch (p.currentName()) {
                case "client_ip" -> clientIp = string(p, "metadata.client_ip");
                case "client_port" -> clientPort = intOr(p, "metadata.client_port", 0);
                case "correlation_id" -> ids.metadata = string(p, "metadata.correlation_id");
                case "protocol" -> protocol = string(p, "metadata.protocol");
                case "request_id" -> requestId = string(p, "metadata.request_id");
                case "route_id" -> routeId = string(p, "metadata.route_id");
                case "server_name" -> serverName = string(p, "metadata.server_name");
                case "timestamp" -> timestamp = string(p, "metadata.timestamp");
                case "tls_cipher" -> tlsCipher = string(p, "metadata.tls_cipher");
                case "tls_version" -> tlsVersion = string(p, "metadata.tls_version");
                case "traceparent" -> traceparent = string(p, "metadata.traceparent");
                case "upstream_id" -> upstreamId = string(p, "metadata.upstream_id");
                default -> p.skipChildren();
            }
        }
        return new AgentEvent.RequestMetadata(clientIp, clientPort, protocol, requestId, routeId, serverName,
                timestamp, tlsCipher, tlsVersion, traceparent, upstreamId);
    }

    private AgentEvent bodyChunk(JsonParser p, Ids ids, int type, String bytesMember, byte[] payload,
            int payloadOffset, int payloadLength) throws IOException {
        byte[] data = null;
        int chunkIndex = 0;
        boolean isLast = false;
        long bytes = 0;
        Long totalSize = null;
        while (nextMember(p)) {
            String name = p.currentName();
            if (name.equals(bytesMember)) {
                bytes = longOr(p, bytesMember, 0);
                continue;
            }
            switch (name) {
                case "correlation_id" -> ids.top = string(p, "correlation_id");
                case "data" -> data = base64(p, "data", payload, payloadOffset, payloadLength);
                case "chunk_index" -> chunkIndex = intOr(p, "chunk_index", 0);
                case "is_last" -> isLast = bool(p, "is_last");
                case "total_size" -> totalSize = nullableLong(p, "total_size");
                default -> p.skipChildren();
            }
        }
        String id = requireId(ids);
        require(data, "data");
        return type == ProxyCodec.REQUEST_BODY_CHUNK
                ? new AgentEvent.RequestBodyChunk(id, data, chunkIndex, isLast, bytes, totalSize)
                : new AgentEvent.ResponseBodyChunk(id, data, chunkIndex, isLast, bytes, totalSize);
    }

    private AgentEvent responseHeaders(JsonParser p, Ids ids, int payloadBytes) throws IOException {
        Integer status = null;
        EventHeaders headers = null;
        while (nextMember(p)) {
            switch (p.currentName()) {
                case "correlation_id" -> ids.top = string(p, "correlation_id");
                case "status" -> status = nullableInt(p, "status");
                case "headers" -> headers = headers(p, "headers", payloadBytes);
                default -> p.skipChildren();
            }
        }
        return new AgentEvent.ResponseHeaders(requireId(ids), require(status, "status"),
                headers);
    }

    /** RequestComplete, WebSocketFrame, GuardrailInspect, Configure: only the id matters. */
    private AgentEvent unhandled(JsonParser p, Ids ids, int type) throws IOException {
        while (nextMember(p)) {
            if (p.currentName().equals("correlation_id")) {
                ids.top = string(p, "correlation_id");
            } else {
                p.skipChildren();
            }
        }
        return new AgentEvent.Unhandled(requireId(ids), type);
    }

    // ---- members --------------------------------------------------------------------------------

    private static void startRootObject(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t != JsonToken.START_OBJECT) {
            throw new PayloadException("payload must be a JSON object (was " + describe(t) + ")");
        }
    }

    private static void endRoot(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t != null) {
            throw new PayloadException("unexpected content after the JSON object: " + describe(t));
        }
    }

    /** Advances to the next member's value; {@code false} at the end of the object. */
    private static boolean nextMember(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.END_OBJECT) {
            return false;
        }
        if (t != JsonToken.FIELD_NAME) {
            throw new PayloadException("expected a member name (was " + describe(t) + ")");
        }
        p.nextToken();
        return true;
    }

    private static void expectObject(JsonParser p, String name) throws PayloadException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw typeError(p, name, "an object");
        }
    }

    private static String string(JsonParser p, String name) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_STRING -> p.getText();
            case VALUE_NULL -> null;
            default -> throw typeError(p, name, "a string");
        };
    }

    private static boolean bool(JsonParser p, String name) throws PayloadException {
        return switch (p.currentToken()) {
            case VALUE_TRUE -> true;
            case VALUE_FALSE, VALUE_NULL -> false;
            default -> throw typeError(p, name, "a boolean");
        };
    }

    private static Long nullableLong(JsonParser p, String name) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw typeError(p, name, "an integer");
        }
        JsonParser.NumberType nt = p.getNumberType();
        if (nt != JsonParser.NumberType.INT && nt != JsonParser.NumberType.LONG) {
            throw new PayloadException(name + " is out of range (was " + p.getText() + ")");
        }
        return p.getLongValue();
    }

    private static Integer nullableInt(JsonParser p, String name) throws IOException {
        Long value = nullableLong(p, name);
        if (value == null) {
            return null;
        }
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new PayloadException(name + " is out of range (was " + value + ")");
        }
        return value.intValue();
    }

    private static long longOr(JsonParser p, String name, long absent) throws IOException {
        Long value = nullableLong(p, name);
        return value == null ? absent : value;
    }

    private static int intOr(JsonParser p, String name, int absent) throws IOException {
        Integer value = nullableInt(p, name);
        return value == null ? absent : value;
    }

    private static byte[] base64(JsonParser p, String name, byte[] payload, int payloadOffset, int payloadLength)
            throws IOException {
        return switch (p.currentToken()) {
            case VALUE_STRING -> Base64String.decode(p, payload, payloadOffset, payloadLength);
            case VALUE_NULL -> null;
            default -> throw typeError(p, name, "a Base64 string");
        };
    }

    private static List<Long> unsignedIntArray(JsonParser p, String name) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw typeError(p, name, "an array of integers");
        }
        List<Long> values = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            Long v = nullableLong(p, name + "[]");
            if (v == null || v < 0 || v > 0xFFFF_FFFFL) {
                throw new PayloadException(name + " must hold unsigned 32-bit integers (was " + p.getText() + ")");
            }
            values.add(v);
        }
        return values;
    }

    /** An array of strings, {@code null} elements dropped, as an immutable list. */
    private static List<String> stringArray(JsonParser p, String name) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw typeError(p, name, "an array of strings");
        }
        List<String> values = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            switch (p.currentToken()) {
                case VALUE_STRING -> values.add(p.getText());
                case VALUE_NULL -> {
                }
                default -> throw typeError(p, name + "[]", "a string");
            }
        }
        return List.copyOf(values);
    }

    /**
     * A header map: name → array of strings, kept in the proxy's order. A single string is taken
     * as a one-element array and {@code null} entries are dropped. The headers go straight into
     * the call's encoding: the values are copied from the parser's buffer, and a name the
     * payload repeats is written again (the worker adds its values to the first).
     */
    private static EventHeaders headers(JsonParser p, String name, int payloadBytes) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        expectObject(p, name);
        HeaderListWriter headers = new HeaderListWriter(Math.min(payloadBytes, HEADER_BUFFER_GUESS));
        while (nextMember(p)) {
            String header = p.currentName();
            JsonToken token = p.currentToken();
            if (token != JsonToken.VALUE_STRING && token != JsonToken.VALUE_NULL && token != JsonToken.START_ARRAY) {
                throw typeError(p, name + "." + header, "an array of strings");
            }
            headers.startHeader(header);
            if (token == JsonToken.VALUE_STRING) {
                addValue(p, headers);
            } else if (token == JsonToken.START_ARRAY) {
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    switch (p.currentToken()) {
                        case VALUE_STRING -> addValue(p, headers);
                        case VALUE_NULL -> {
                        }
                        default -> throw typeError(p, name + "." + header + "[]", "a string");
                    }
                }
            }
            headers.endHeader();
        }
        return new EventHeaders(headers.toByteString());
    }

    private static void addValue(JsonParser p, HeaderListWriter headers) throws IOException {
        headers.addValue(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
    }

    private static String requireId(Ids ids) throws PayloadException {
        String id = ids.best();
        if (id == null) {
            throw new PayloadException("missing member 'correlation_id'");
        }
        return id;
    }

    private static <T> T require(T value, String name) throws PayloadException {
        if (value == null) {
            throw new PayloadException("missing member '" + name + "'");
        }
        return value;
    }

    private static PayloadException typeError(JsonParser p, String name, String expected) {
        return new PayloadException(name + " must be " + expected + " (was " + describe(p.currentToken()) + ")");
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "end of input";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a floating-point number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
        };
    }

    // ---- failures -------------------------------------------------------------------------------

    private static String problem(Exception e) {
        if (e instanceof PayloadException) {
            return e.getMessage();
        }
        if (e instanceof JsonProcessingException jpe) {
            String where = jpe.getLocation() == null ? "" : " (at byte " + jpe.getLocation().getByteOffset() + ")";
            String kind = e instanceof StreamConstraintsException ? "limit exceeded: " : "invalid JSON: ";
            String message = REDACTED_SOURCE.matcher(jpe.getOriginalMessage()).replaceAll("[");
            return kind + message + where;
        }
        return "invalid payload: " + e;
    }

    /**
     * The id to answer a broken payload with (spec §10): the top-level {@code correlation_id}, else
     * {@code metadata.correlation_id}, from the parse so far or else from a raw scan of the bytes.
     */
    private String bestId(Ids ids, byte[] buf, int offset, int length) {
        if (ids.top != null) {
            return ids.top;
        }
        CorrelationIdScanner.Found found = CorrelationIdScanner.scan(json, buf, offset, length);
        if (found.topLevel() != null) {
            return found.topLevel();
        }
        if (ids.metadata != null) {
            return ids.metadata;
        }
        return found.nested() != null ? found.nested() : "";
    }
}
