package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaValue;

class HttpHandleTextTest {
    @Test
    void textGivesTheBytesLuaJWouldGiveForAsciiAndForAnythingElse() {
        for (String s : List.of("", "text/html; q=0.9", "caf\u00e9", "\u65e5\u672c", "emoji \ud83d\ude00", "lone \ud800 x")) {
            assertEquals(LuaValue.valueOf(s), HttpHandle.text(s), s);
            assertEquals(LuaValue.valueOf(s).hashCode(), HttpHandle.text(s).hashCode(), s);
        }
    }
}
