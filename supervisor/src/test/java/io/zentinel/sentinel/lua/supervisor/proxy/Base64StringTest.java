package io.zentinel.sentinel.lua.supervisor.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class Base64StringTest {
    private static final JsonFactory JSON = new JsonFactory();

    /** What each member of {@code json} holds: strings decoded by Base64String, others as text. */
    private static List<String> members(String json) throws IOException {
        String frame = "\u0011" + json + "trailing bytes after the payload";
        byte[] buf = frame.getBytes(StandardCharsets.ISO_8859_1);
        List<String> seen = new ArrayList<>();
        try (JsonParser p = JSON.createParser(buf, 1, json.length())) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                seen.add(name + "=" + (value == JsonToken.VALUE_STRING
                        ? new String(Base64String.decode(p, buf, 1, json.length()), StandardCharsets.ISO_8859_1) : p.getText()));
            }
        }
        return seen;
    }

    @Test
    void decodesPaddedAndUnpaddedStringsAndTheParserGoesOnAfterThem() throws IOException {
        assertEquals(List.of("a=hi", "n=1", "b=hi!", "c=h", "d="),
                members("{\"a\":\"aGk=\",\"n\":1,\"b\":\"aGkh\",\"c\":\"aA\",\"d\":\"\"}"));
    }

    @Test
    void onlyPlainStringsAreDecodedDirectly() throws IOException {
        assertEquals(List.of("a=direct", "b=direct", "c=jackson", "d=jackson", "e=jackson"),
                paths("{\"a\":\"aGk=\",\"b\":\"\",\"c\":\"\\/\\/\\/\\/\",\"d\":\" aGk=\",\"e\":\"a\"}"));
    }

    /** Which way each string member of {@code json} is decoded. */
    private static List<String> paths(String json) throws IOException {
        byte[] buf = json.getBytes(StandardCharsets.US_ASCII);
        List<String> seen = new ArrayList<>();
        try (JsonParser p = JSON.createParser(buf, 0, buf.length)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                seen.add(name + "=" + (Base64String.decodeDirectly(p, buf, 0, buf.length) != null ? "direct" : "jackson"));
            }
        }
        return seen;
    }

    @Test
    void aStringIsNotReadPastThePayloadsEnd() throws IOException {
        byte[] buf = "{\"a\":\"aGk=\"}".getBytes(StandardCharsets.US_ASCII);
        int cut = buf.length - 3; // the payload ends inside the string: {"a":"aGk
        try (JsonParser p = JSON.createParser(buf, 0, cut)) {
            p.nextToken();
            p.nextToken();
            p.nextToken();
            assertNull(Base64String.decodeDirectly(p, buf, 0, cut));
        }
    }

    @Test
    void aStringWithEscapesOrWhitespaceDecodesAsJacksonDoes() throws IOException {
        // "////" is 0xFF 0xFF 0xFF; JSON may escape each slash
        assertEquals(List.of("a=\u00ff\u00ff\u00ff", "b=hi"), members("{\"a\":\"\\/\\/\\/\\/\",\"b\":\"aGk=\"}"));
        assertEquals(List.of("a=hi"), members("{\"a\":\" aGk=\"}"));
    }

    @Test
    void badBase64IsJacksonsError() {
        IOException e = assertThrows(IOException.class, () -> members("{\"data\":\"not base64!\"}"));
        assertTrue(e.getMessage().startsWith("Failed to decode VALUE_STRING as base64"), e.getMessage());
    }

    @Test
    void decodesBodiesAsTheJdkEncodesThem() throws IOException {
        Random random = new Random(42);
        for (int length : new int[] {1, 2, 3, 4, 100, 65_536, 65_537}) {
            byte[] body = new byte[length];
            random.nextBytes(body);
            String json = "{\"data\":\"" + Base64.getEncoder().encodeToString(body) + "\"}";
            byte[] buf = json.getBytes(StandardCharsets.US_ASCII);
            try (JsonParser p = JSON.createParser(buf, 0, buf.length)) {
                p.nextToken();
                p.nextToken();
                p.nextToken();
                assertArrayEquals(body, Base64String.decodeDirectly(p, buf, 0, buf.length), "length " + length);
                assertEquals(JsonToken.END_OBJECT, p.nextToken());
            }
        }
    }
}
