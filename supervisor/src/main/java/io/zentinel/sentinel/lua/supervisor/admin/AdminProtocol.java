package io.zentinel.sentinel.lua.supervisor.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
 *
 * <p>The agent reads and writes this protocol with jackson-core's streaming API alone (see
 * {@link RecordJsonWriter} for why); clients map the answers with {@link AdminJson}.
 */
public final class AdminProtocol {
    public static final int MAX_REQUEST_BYTES = 4096;
    /** Largest response a client accepts. */
    public static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
    /** Time a client has to send its request line after connecting. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
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
        Request request;
        try (JsonParser json = JSON.createParser(text)) {
            request = Request.read(json);
        } catch (JsonProcessingException e) {
            throw malformed("request is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("reading a request from memory", e);
        }
        return request.command();
    }

    /**
     * The members of a request object as read, checked once the whole line has been read so that
     * a syntax error anywhere in it is reported first.
     *
     * @param first        the type of the line's first value, lower case ({@code object}, {@code array} …)
     * @param unknown      the first member other than {@code command}, or {@code null}
     * @param commandType  the {@code command} member's token, or {@code null} when there is none
     * @param commandText  its text (for an object or array, what it is)
     */
    private record Request(String first, String unknown, JsonToken commandType, String commandText) {
        static Request read(JsonParser json) throws IOException {
            JsonToken token = json.nextToken();
            if (token != JsonToken.START_OBJECT) {
                json.skipChildren();
                rejectTrailingTokens(json);
                return new Request(valueType(token), null, null, null);
            }
            String unknown = null;
            JsonToken commandType = null;
            String commandText = null;
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String name = json.currentName();
                JsonToken value = json.nextToken();
                if (name.equals("command")) {
                    commandType = value;
                    commandText = value.isStructStart() ? "an " + valueType(value) : json.getText();
                } else if (unknown == null) {
                    unknown = name;
                }
                json.skipChildren();
            }
            rejectTrailingTokens(json);
            return new Request("object", unknown, commandType, commandText);
        }

        private static void rejectTrailingTokens(JsonParser json) throws IOException {
            JsonToken trailing = json.nextToken();
            if (trailing != null) {
                throw new JsonParseException(json, "Trailing token (" + trailing + ") after the request's value");
            }
        }

        private static String valueType(JsonToken token) {
            if (token == null) {
                return "nothing";
            }
            return switch (token) {
                case START_OBJECT -> "object";
                case START_ARRAY -> "array";
                case VALUE_STRING -> "string";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
                case VALUE_TRUE, VALUE_FALSE -> "boolean";
                case VALUE_NULL -> "null";
                default -> token.name().toLowerCase(Locale.ROOT);
            };
        }

        Command command() throws RequestException {
            if (!first.equals("object")) {
                throw malformed("request must be a JSON object, e.g. {\"command\":\"status\"} (was " + first + ")");
            }
            if (unknown != null) {
                throw malformed("unknown member \"" + unknown + "\" in the request (allowed: \"command\")");
            }
            if (commandType == null) {
                throw malformed("request has no \"command\" member");
            }
            if (commandType != JsonToken.VALUE_STRING) {
                throw malformed("\"command\" must be a string (was " + commandText + ")");
            }
            for (Command candidate : Command.values()) {
                if (candidate.wireName().equals(commandText)) {
                    return candidate;
                }
            }
            throw new RequestException(ErrorCode.UNKNOWN_COMMAND, "unknown command \"" + truncate(commandText)
                    + "\" (known: status, reload)");
        }
    }

    /** The request line for {@code command}, newline included. */
    public static byte[] request(Command command) {
        return line(json -> {
            json.writeStartObject();
            json.writeStringField("command", command.wireName());
            json.writeEndObject();
        });
    }

    /**
     * A successful response carrying {@code body} under the command's name.
     *
     * @param body one of the protocol's records, written by {@link RecordJsonWriter}
     */
    public static byte[] ok(Command command, Record body) {
        return line(json -> {
            json.writeStartObject();
            json.writeBooleanField("ok", true);
            json.writeStringField("command", command.wireName());
            json.writeFieldName(command.wireName());
            RecordJsonWriter.write(json, body);
            json.writeEndObject();
        });
    }

    /** An error response. */
    public static byte[] error(ErrorCode code, String message) {
        return line(json -> {
            json.writeStartObject();
            json.writeBooleanField("ok", false);
            json.writeObjectFieldStart("error");
            json.writeStringField("code", code.wireName());
            json.writeStringField("message", message);
            json.writeEndObject();
            json.writeEndObject();
        });
    }

    private interface Content {
        void writeTo(JsonGenerator json) throws IOException;
    }

    private static byte[] line(Content content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            content.writeTo(json);
        } catch (IOException e) {
            throw new UncheckedIOException("writing an admin response to memory", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static RequestException malformed(String message) {
        return new RequestException(ErrorCode.MALFORMED_REQUEST, message);
    }

    private static String truncate(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "…";
    }
}
