package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;

class HttpHandleTextTest {
    @Test
    void textGivesTheUtf8BytesOfAnyTextThatHasThem() {
        for (String s : List.of("", "text/html; q=0.9", "caf\u00e9", "\u65e5\u672c", "emoji \ud83d\ude00 4 bytes")) {
            LuaString utf8 = LuaString.valueOf(s.getBytes(StandardCharsets.UTF_8));
            assertEquals(utf8, HttpHandle.text(s), s);
            assertEquals(utf8.hashCode(), HttpHandle.text(s).hashCode(), s);
        }
    }

    @Test
    void textWithALoneSurrogateGetsLuaJsBytes() {
        for (String s : List.of("lone \ud800 x", "caf\u00e9 \udc00")) {
            assertEquals(LuaValue.valueOf(s), HttpHandle.text(s), s);
        }
    }
}
