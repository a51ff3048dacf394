package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;

class HeaderNamesTest {
    @Test
    void aNameSeenBeforeGivesTheSameLuaStringWithItsUtf8Bytes() {
        HeaderNames names = new HeaderNames(8);

        for (String name : new String[] {"user-agent", "x-caf\u00e9", "\u65e5\u672c"}) {
            assertEquals(LuaValue.valueOf(name), names.lua(name), name);
            assertEquals(LuaValue.valueOf(name).hashCode(), names.lua(name).hashCode(), name);
            assertSame(names.lua(name), names.lua(new String(name.toCharArray())), name);
        }
    }

    @Test
    void beyondItsCapacityNamesAreStillRightButNotKept() {
        HeaderNames names = new HeaderNames(2);
        names.lua("accept");
        names.lua("host");

        assertEquals(LuaValue.valueOf("cookie"), names.lua("cookie"));
        assertEquals(LuaValue.valueOf("cookie").hashCode(), names.lua("cookie").hashCode());
        assertSame(names.lua("accept"), names.lua("accept"));
        assertEquals(2, names.size(), "cookie was not kept");
    }

    @Test
    void aNameFromBytesIsTheSameStringAsFromTextInLowerCaseAndHoldsOnlyItsOwnBytes() {
        HeaderNames names = new HeaderNames(8);
        // longer than 32 bytes: LuaJ keeps shorter arrays in its cache of recent strings
        byte[] list = "..user-agent..X-Caf\u00e9..and some more bytes".getBytes(StandardCharsets.UTF_8);

        LuaString fromBytes = names.lua(list, 2, 10);
        assertSame(names.lua("user-agent"), fromBytes);
        assertEquals(10, fromBytes.m_bytes.length, "a copy of the name, not the list");
        assertSame(names.lua("x-caf\u00e9"), names.lua(list, 14, 7), "lower-cased as HeaderView.lower does");
    }

    @Test
    void aPositionGivesItsLastNameOnlyForTheSameBytes() {
        HeaderNames names = new HeaderNames(8);
        byte[] first = "hostaccept".getBytes(StandardCharsets.UTF_8);
        byte[] second = "HostAcceptsaccepts".getBytes(StandardCharsets.UTF_8);

        LuaString host = names.lua(first, 0, 4, 0);
        assertSame(names.lua("host"), host);
        assertSame(host, names.lua(first, 0, 4, 0));
        assertSame(host, names.lua(second, 0, 4, 0), "another case of the same name is lower-cased");
        assertSame(names.lua("accept"), names.lua(first, 4, 6, 1));
        assertEquals(LuaValue.valueOf("accepts"), names.lua(second, 4, 7, 1), "a longer name at the position");
        assertSame(names.lua("accepts"), names.lua(second, 11, 7, 1));
        assertEquals(LuaValue.valueOf("host"), names.lua(first, 0, 4, LastAtPosition.POSITIONS),
                "a position beyond those kept");
    }
}
