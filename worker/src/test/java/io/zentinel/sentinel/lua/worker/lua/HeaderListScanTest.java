package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaString;

class HeaderListScanTest {

    /**
     * The list as the worker sees it: a span in the middle of a larger array (the call's frame),
     * so that every position the scan reads is taken from the span's offset.
     */
    private static ByteSpan inFrame(ByteString list) {
        byte[] frame = new byte[list.size() + 14];
        Arrays.fill(frame, (byte) 0x0A); // a header tag: a scan past either end would misread it
        list.copyTo(frame, 7);
        return new ByteSpan(frame, 7, list.size());
    }


    private static List<String> scan(ByteString encoded) {
        List<String> seen = new ArrayList<>();
        HeaderListScan.forEachJoined(inFrame(encoded),
                (name, value) -> seen.add(name.tojstring() + "=" + value.tojstring()));
        return seen;
    }

    @Test
    void givesEachHeaderWithAValueInOrderWithItsValuesJoined() {
        ByteString encoded = TestVm.headerList(
                Header.newBuilder().setName("accept").addValues("text/html").addValues("*/*"),
                Header.newBuilder().setName("X-Mixed-Case").addValues("1"),
                Header.newBuilder().setName("x-none"),
                Header.newBuilder().setName("accept").addValues("application/json"),
                Header.newBuilder().addValues("under an empty name"));

        assertEquals(List.of("accept=text/html, */*", "x-mixed-case=1", "accept=application/json",
                "=under an empty name"), scan(encoded));
        assertEquals(List.of(), scan(ByteString.EMPTY));
    }

    @Test
    void namesAreTheSharedStringsAndValuesTheBytesAsSent() {
        String emoji = "caf\u00e9 \ud83d\ude00";
        List<LuaString> names = new ArrayList<>();
        List<LuaString> values = new ArrayList<>();
        HeaderListScan.forEachJoined(inFrame(TestVm.headerList("user-agent", emoji)), (name, value) -> {
            names.add(name);
            values.add(value);
        });

        assertSame(HeaderNames.SHARED.lua("user-agent"), names.getFirst());
        assertEquals(LuaString.valueOf(emoji.getBytes(StandardCharsets.UTF_8)), values.getFirst());
        assertEquals(HttpHandle.text(emoji), values.getFirst(), "the same bytes as text of the value");
        assertEquals(values.getFirst(), HeaderListScan.joined(inFrame(TestVm.headerList("user-agent", emoji)),
                "user-agent"), "and as a lookup");
    }

    private static List<LuaString> values(ByteString encoded) {
        List<LuaString> values = new ArrayList<>();
        HeaderListScan.forEachJoined(inFrame(encoded), (name, value) -> values.add(value));
        return values;
    }

    @Test
    void aShortValueRepeatedAtItsPositionIsTheKeptStringAndHoldsOnlyItsOwnBytes() {
        String longValue = "x".repeat(HeaderListScan.MAX_KEPT_VALUE_BYTES + 1);
        List<LuaString> first = values(TestVm.headerList("host", "example.com", "cookie", longValue));
        List<LuaString> second = values(TestVm.headerList("host", "example.com", "cookie", longValue));
        List<LuaString> third = values(TestVm.headerList("host", "example.org", "cookie", longValue));

        assertSame(first.get(0), second.get(0), "the same bytes at the same position");
        assertEquals(11, first.get(0).m_bytes.length, "a copy of the value, not the list");
        assertEquals(LuaString.valueOf("example.org"), third.get(0), "other bytes make their own string");
        assertSame(third.get(0), values(TestVm.headerList("host", "example.org")).get(0), "and are kept instead");
        assertEquals(LuaString.valueOf(longValue), second.get(1));
        assertTrue(first.get(1) != second.get(1), "a long value is not kept");
        assertEquals(longValue.length(), first.get(1).m_bytes.length, "but copied: the list is a view of the frame");
        List<LuaString> joined = values(TestVm.headerList(Header.newBuilder().setName("host").addValues("example.org")
                .addValues("b")));
        assertEquals(LuaString.valueOf("example.org, b"), joined.get(0), "several values are joined, never kept");
    }

    @Test
    void fieldsItDoesNotKnowAreSkipped() {
        // a varint field 7 before the header, and a fixed64 field 9 inside it
        ByteString unknown = ByteString.copyFrom(new byte[] {0x38, 0x05});
        ByteString header = TestVm.headerList("x-a", "1").substring(2); // the Header message alone
        ByteString withUnknown = header.concat(ByteString.copyFrom(new byte[] {0x49, 1, 2, 3, 4, 5, 6, 7, 8}));
        ByteString encoded = unknown.concat(ByteString.copyFrom(new byte[] {0x0A, (byte) withUnknown.size()}))
                .concat(withUnknown);

        assertEquals(List.of("x-a=1"), scan(encoded));
    }

    @Test
    void bytesThatAreNotAHeaderListFailPlainly() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> scan(ByteString.copyFrom(new byte[] {0x0A, 0x05, 0x12})));
        assertTrue(e.getMessage().startsWith("the call's header_list does not decode: "), e.getMessage());
    }

    @Test
    void lookupsFindNamesIgnoringCaseAndJoinEveryMatchingHeader() {
        ByteSpan list = inFrame(TestVm.headerList(
                Header.newBuilder().setName("Accept").addValues("text/html").addValues("*/*"),
                Header.newBuilder().setName("x-empty"),
                Header.newBuilder().setName("accept").addValues("application/json"),
                Header.newBuilder().setName("x-empty").addValues("later")));

        assertEquals("text/html", HeaderListScan.first(list, "ACCEPT"));
        assertEquals("later", HeaderListScan.first(list, "X-Empty"), "a header without values is skipped");
        assertNull(HeaderListScan.first(list, "accept-language"));
        assertEquals(LuaString.valueOf("text/html, */*, application/json"), HeaderListScan.joined(list, "accept"));
        assertNull(HeaderListScan.joined(list, "missing"));
        assertNull(HeaderListScan.first(inFrame(ByteString.EMPTY), "accept"));
    }

    @Test
    void namesBeyondAsciiAreComparedByJavasRules() {
        // KELVIN SIGN is "k" in lower case, and equal to "K" ignoring case
        ByteSpan list = inFrame(TestVm.headerList("x-\u212Aey", "kelvin", "x-caf\u00c9", "acute"));

        assertEquals("kelvin", HeaderListScan.first(list, "X-KEY"));
        assertEquals(LuaString.valueOf("kelvin"), HeaderListScan.joined(list, "x-key"));
        assertEquals("acute", HeaderListScan.first(list, "x-caf\u00e9"));
        assertEquals(LuaString.valueOf("acute"), HeaderListScan.joined(list, "x-caf\u00e9"));
        assertEquals("x-\u212Aey".equalsIgnoreCase("x-key"), HeaderListScan.first(list, "x-key") != null);
    }

    @Test
    void manyValuesOfOneHeaderAreJoinedInOrder() {
        Header.Builder cookie = Header.newBuilder().setName("cookie");
        Header.Builder empty = Header.newBuilder().setName("x-e").addValues("").addValues("").addValues("z");
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            cookie.addValues("c" + i + "=" + i);
            expected.append(i == 0 ? "" : ", ").append("c").append(i).append('=').append(i);
        }
        ByteString encoded = TestVm.headerList(cookie, empty, Header.newBuilder().setName("COOKIE").addValues("last"),
                Header.newBuilder().setName("x-blank").addValues(""),
                Header.newBuilder().setName("X-Blank").addValues("").addValues("b"));
        ByteSpan list = inFrame(encoded);

        assertEquals(List.of("cookie=" + expected, "x-e=, , z", "cookie=last", "x-blank=", "x-blank=, b"),
                scan(encoded));
        assertEquals(LuaString.valueOf(", , b"), HeaderListScan.joined(list, "x-blank"), "after an empty value too");
        assertEquals(LuaString.valueOf(expected + ", last"), HeaderListScan.joined(list, "cookie"));
        assertEquals(LuaString.valueOf(", , z"), HeaderListScan.joined(list, "x-e"));
    }
}
