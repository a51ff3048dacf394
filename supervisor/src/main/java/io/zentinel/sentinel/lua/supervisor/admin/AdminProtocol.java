package io.zentinel.sentinel.lua.supervisor.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;

/**
 * The admin socket's protocol: one request line, one response line, then the agent closes the
 * connection.
 *
 * <pre>
 * request:  {"command":"status"}\n        or  {"command":"reload"}\n
 * response: {"ok":true,"command":"status","status":{…StatusReport…}}\n
 *           {"ok":true,"command":"reload","reload":{…ReloadReport…}}\n   (a rejected reload is still ok:true, "accepted":false)
 *           {"ok":false,"error":{"code":"unknown-command","message":"…"}}\n
 * </pre>
 *
 * <p>A request is UTF-8 JSON: an object with exactly one member, {@code command}, on one line of at
 * most {@value #MAX_REQUEST_BYTES} bytes (the newline may be left out if the client then shuts
 * down its output), sent within {@link #REQUEST_TIMEOUT}. Error codes: {@code malformed-request},
 * {@code request-too-large}, {@code unknown-command}, {@code permission-denied} (the peer's uid is
 * neither the agent's nor root's), {@code timeout}, {@code internal-error}. Member names are
 * snake_case; clients ignore members they do not know, so the agent may add some.
 */
public final class AdminProtocol {
    public static final int MAX_REQUEST_BYTES = 4096;
    /** Largest response a client accepts. */
    public static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
    /** Time a client has to send its request line after connecting. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    /** The commands. */
    public enum Command {
        STATUS, RELOAD;

        /** The name on the wire: {@code status}, {@code reload}. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Error codes of an {@code ok:false} response. */
    public enum ErrorCode {
        MALFORMED_REQUEST, REQUEST_TOO_LARGE, UNKNOWN_COMMAND, PERMISSION_DENIED, TIMEOUT, INTERNAL_ERROR;

        /** The code on the wire, e.g. {@code unknown-command}. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** A request line that cannot be answered; the message is sent back to the client. */
    public static final class RequestException extends Exception {
        private static final long serialVersionUID = 1L;
        private final ErrorCode code;

        public RequestException(ErrorCode code, String message) {
            super(message);
            this.code = code;
        }

        public ErrorCode code() {
            return code;
        }
    }

    private AdminProtocol() {
    }

    /** The JSON mapping of the protocol's records (snake_case, unknown members ignored). Thread-safe. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * The command of one request line (without its newline).
     *
     * @throws RequestException {@code malformed-request} or {@code unknown-command}, with a message naming the problem
     */
    public static Command parseRequest(byte[] line) throws RequestException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(line)).toString();
        } catch (CharacterCodingException e) {
            throw malformed("request is not valid UTF-8");
        }
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.isBlank()) {
            throw malformed("empty request; expected {\"command\":\"status\"} or {\"command\":\"reload\"}");
        }
        JsonNode request;
        try {
            request = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw malformed("request is not valid JSON: " + e.getOriginalMessage());
        }
        if (request == null || !request.isObject()) {
            throw malformed("request must be a JSON object, e.g. {\"command\":\"status\"} (was "
                    + (request == null ? "nothing" : request.getNodeType().name().toLowerCase(Locale.ROOT)) + ")");
        }
        for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("command")) {
                throw malformed("unknown member \"" + name + "\" in the request (allowed: \"command\")");
            }
        }
        JsonNode command = request.get("command");
        if (command == null) {
            throw malformed("request has no \"command\" member");
        }
        if (!command.isTextual()) {
            throw malformed("\"command\" must be a string (was " + command + ")");
        }
        for (Command candidate : Command.values()) {
            if (candidate.wireName().equals(command.asText())) {
                return candidate;
            }
        }
        throw new RequestException(ErrorCode.UNKNOWN_COMMAND, "unknown command \"" + truncate(command.asText())
                + "\" (known: status, reload)");
    }

    /** The request line for {@code command}, newline included. */
    public static byte[] request(Command command) {
        ObjectNode node = MAPPER.createObjectNode().put("command", command.wireName());
        return line(node);
    }

    /** A successful response carrying {@code body} under the command's name. */
    public static byte[] ok(Command command, Object body) {
        ObjectNode node = MAPPER.createObjectNode().put("ok", true).put("command", command.wireName());
        node.set(command.wireName(), MAPPER.valueToTree(body));
        return line(node);
    }

    /** An error response. */
    public static byte[] error(ErrorCode code, String message) {
        ObjectNode node = MAPPER.createObjectNode().put("ok", false);
        node.putObject("error").put("code", code.wireName()).put("message", message);
        return line(node);
    }

    private static byte[] line(JsonNode node) {
        try {
            return (MAPPER.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("admin response not serialisable", e);
        }
    }

    private static RequestException malformed(String message) {
        return new RequestException(ErrorCode.MALFORMED_REQUEST, message);
    }

    private static String truncate(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "…";
    }
}
