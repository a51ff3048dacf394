package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.HeaderMutation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderViewTest {
    private final List<HeaderMutation> mutations = new ArrayList<>();

    private HeaderView view() {
        return new HeaderView(TestVm.headerList(
                Header.newBuilder().setName("Accept").addValues("text/html").addValues("*/*"),
                Header.newBuilder().setName("X-Empty"),
                Header.newBuilder().setName("accept").addValues("application/json")), mutations);
    }

    /** What {@link HeaderView#forEachJoined} gives, as text. */
    private static List<String> joined(HeaderView v) {
        List<String> seen = new ArrayList<>();
        v.forEachJoined((name, value) -> seen.add(name.tojstring() + "=" + value.tojstring()));
        return seen;
    }

    @Test
    void everyHeaderJoinedIsReadFromTheBytesUntilAChangeThenFromTheMap() {
        HeaderView v = view();

        assertEquals(List.of("accept=text/html, */*", "accept=application/json"), joined(v),
                "as the list has them: a repeated name again, a header without values left out");
        v.add("X-New", "1");
        assertEquals(List.of("accept=text/html, */*, application/json", "x-new=1"), joined(v));
    }

    @Test
    void firstValuesAreFoundCaseInsensitivelyWithoutTheMapAndWithIt() {
        HeaderView scanned = view();
        HeaderView mapped = view();
        mapped.all();

        for (HeaderView v : List.of(scanned, mapped)) {
            assertEquals("text/html", v.first("ACCEPT"));
            assertNull(v.first("x-empty"), "a header without values is absent");
            assertNull(v.first("missing"));
        }
    }

    @Test
    void addedValuesAreSeenInOrderBeforeAndAfterTheMapIsBuilt() {
        HeaderView v = view();
        v.add("X-New", "1");
        v.add("Accept", "text/plain");

        assertEquals("1", v.first("x-new"), "read while scanning");
        assertEquals("text/html", v.first("accept"), "an added value comes after the proxy's");
        assertEquals(List.of("text/html", "*/*", "application/json", "text/plain"), v.values("Accept"));
        v.add("x-new", "2");
        assertEquals(Map.of("accept", List.of("text/html", "*/*", "application/json", "text/plain"),
                "x-new", List.of("1", "2")), v.all());
        assertEquals(List.of("accept", "x-new"), List.copyOf(v.all().keySet()), "in the order they arrived");
        assertEquals(3, mutations.size());
        assertEquals("X-New", mutations.get(0).getName(), "a mutation keeps the name as written");
    }

    @Test
    void setAndRemoveApplyOverAddedValues() {
        HeaderView v = view();
        v.add("X-New", "1");
        v.set("accept", "x/y");
        v.remove("X-NEW");

        assertEquals("x/y", v.first("Accept"));
        assertNull(v.first("x-new"));
        assertEquals(List.of(HeaderMutation.Op.ADD, HeaderMutation.Op.SET, HeaderMutation.Op.REMOVE),
                mutations.stream().map(HeaderMutation::getOp).toList());
    }

    @Test
    void decodesTheCallsHeaderListAndFailsPlainlyOnBrokenBytes() {
        List<Header> headers = List.of(Header.newBuilder().setName("host").addValues("example.com").build(),
                Header.newBuilder().setName("accept").addValues("text/html").addValues("*/*").build());

        assertEquals(headers, HeaderView.decode(HeaderList.newBuilder().addAllHeaders(headers).build().toByteString()));
        assertEquals(List.of(), HeaderView.decode(ByteString.EMPTY));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> HeaderView.decode(ByteString.copyFrom(new byte[] {0x0A, 0x05, 0x0A})));
        assertTrue(e.getMessage().startsWith("the call's header_list does not decode: "), e.getMessage());
    }
}
