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
}
