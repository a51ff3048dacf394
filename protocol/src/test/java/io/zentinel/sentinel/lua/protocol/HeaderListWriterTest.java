package io.zentinel.sentinel.lua.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderListWriterTest {

    /** What protobuf's own builder encodes for {@code headers}. */
    private static ByteString byBuilder(Map<String, List<String>> headers) {
        HeaderList.Builder list = HeaderList.newBuilder();
        headers.forEach((name, values) -> list.addHeaders(Header.newBuilder().setName(name).addAllValues(values)));
        return list.build().toByteString();
    }

    private static Map<String, List<String>> headers(String... namesAndValues) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.computeIfAbsent(namesAndValues[i], k -> new ArrayList<>()).add(namesAndValues[i + 1]);
        }
        return headers;
    }

    @Test
    void writesTheBytesProtobufsBuilderWrites() {
        Map<String, List<String>> headers = headers("host", "example.com", "accept", "text/html", "accept", "*/*",
                "x-empty-value", "", "", "a value under an empty name", "user-agent", "Mozilla/5.0 (X11; Linux x86_64)");
        headers.put("x-no-values", List.of());

        assertEquals(byBuilder(headers), HeaderListWriter.encode(headers));
    }

    @Test
    void encodesTextBeyondAsciiAndBrokenSurrogatesAsProtobufDoes() {
        Map<String, List<String>> headers = headers("x-name", "Zoë ✓", "x-emoji", "😀", "x-lone", "a\uD800b",
                "x-été", "value");

        assertEquals(byBuilder(headers), HeaderListWriter.encode(headers));
        assertEquals("a?b", decode(HeaderListWriter.encode(headers)).getHeaders(2).getValues(0));
    }

    @Test
    void aValueFromACharBufferIsTheSameAsFromAString() {
        char[] buffer = "..Zoë ✓..plain..".toCharArray();
        HeaderListWriter writer = new HeaderListWriter(0);
        writer.startHeader("x-a");
        writer.addValue(buffer, 2, 5);
        writer.addValue(buffer, 9, 5);
        writer.endHeader();

        assertEquals(byBuilder(headers("x-a", "Zoë ✓", "x-a", "plain")), writer.toByteString());
    }

    @Test
    void headersOfEveryLengthKeepTheirLengthsRight() {
        // 1-byte, 2-byte and 3-byte lengths of a header, around the 2 bytes set aside for it
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int size : new int[] {0, 1, 100, 120, 127, 128, 200, 16_370, 16_384, 20_000, 70_000}) {
            headers.put("x-" + size, List.of("v".repeat(size)));
        }
        headers.put("x-many", Collections.nCopies(300, "abc"));
        for (int size : new int[] {127, 128, 20_000}) { // names whose own length takes 1, 2 and 3 bytes
            headers.put("n".repeat(size), List.of("v"));
        }

        ByteString encoded = HeaderListWriter.encode(headers);

        assertEquals(byBuilder(headers), encoded);
        assertEquals(headers.size(), decode(encoded).getHeadersCount());
    }

    @Test
    void aRepeatedNameIsWrittenAgainAndDecodesAsTwoHeaders() {
        HeaderListWriter writer = new HeaderListWriter(16);
        for (String value : List.of("a=1", "b=2")) {
            writer.startHeader("set-cookie");
            writer.addValue(value);
            writer.endHeader();
        }

        HeaderList list = decode(writer.toByteString());

        assertEquals(2, list.getHeadersCount());
        assertEquals(List.of("a=1"), list.getHeaders(0).getValuesList());
        assertEquals(List.of("b=2"), list.getHeaders(1).getValuesList());
    }

    @Test
    void nullNamesAndValuesAreLeftOutAndNoHeadersIsEmpty() {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put(null, List.of("x"));
        headers.put("x-a", Arrays.asList("1", null, "2"));
        headers.put("x-b", null);

        Map<String, List<String>> expected = headers("x-a", "1", "x-a", "2");
        expected.put("x-b", List.of());
        assertEquals(byBuilder(expected), HeaderListWriter.encode(headers));
        assertSame(ByteString.EMPTY, HeaderListWriter.encode(Map.of()));
    }

    @Test
    void callsOutOfOrderAreRefused() {
        HeaderListWriter writer = new HeaderListWriter(16);
        assertEquals("no header open", assertThrows(IllegalStateException.class, () -> writer.addValue("v")).getMessage());
        assertEquals("no header open", assertThrows(IllegalStateException.class, writer::endHeader).getMessage());
        writer.startHeader("a");
        assertEquals("header still open",
                assertThrows(IllegalStateException.class, () -> writer.startHeader("b")).getMessage());
        assertEquals("header still open", assertThrows(IllegalStateException.class, writer::toByteString).getMessage());
        writer.endHeader();
        writer.toByteString();
        assertEquals("header list already finished",
                assertThrows(IllegalStateException.class, () -> writer.startHeader("c")).getMessage());
    }

    private static HeaderList decode(ByteString encoded) {
        try {
            return HeaderList.parseFrom(encoded);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
