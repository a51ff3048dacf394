package io.zentinel.sentinel.lua.worker.lua.lib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Vectors in the spirit of Lua 5.4's {@code testes/utf8.lua}, written for LuaJ's Lua 5.2 syntax
 * (no {@code \\u{...}} escapes, so bytes are written as decimal escapes).
 */
class Utf8LibTest {

    /** "aé€😀": a (byte 1), é (2-3), € (4-6), 😀 (7-10). */
    private static final String S = "'a\\195\\169\\226\\130\\172\\240\\159\\152\\128'";

    private final LuaHarness lua = new LuaHarness(TestGuard.lenient());

    @Test
    void charEncodesCodePointsLikeLua54() {
        assertArrayEquals(new byte[] {'H', (byte) 0xC3, (byte) 0xA4, (byte) 0xE2, (byte) 0x82, (byte) 0xAC,
            (byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80}, lua.bytes("utf8.char(72, 228, 8364, 128512)"));
        assertEquals("", lua.text("utf8.char()"));
        assertArrayEquals(new byte[] {0}, lua.bytes("utf8.char(0)"));
        assertArrayEquals(new byte[] {(byte) 0xF4, (byte) 0x8F, (byte) 0xBF, (byte) 0xBF}, lua.bytes("utf8.char(0x10FFFF)"));
        // like Lua 5.4, char encodes surrogates and values up to 2^31-1 (which strict decoding then rejects)
        assertArrayEquals(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, lua.bytes("utf8.char(0xD800)"));
        assertArrayEquals(new byte[] {(byte) 0xFD, (byte) 0xBF, (byte) 0xBF, (byte) 0xBF, (byte) 0xBF, (byte) 0xBF},
                lua.bytes("utf8.char(0x7FFFFFFF)"));
        assertArrayEquals(new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
                lua.bytes("utf8.char(0x200000)"));
    }

    @Test
    void charRejectsValuesOutOfRange() {
        assertEquals("bad argument #1 to 'utf8.char' (value out of range)", lua.error("utf8.char(0x80000000)"));
        assertEquals("bad argument #2 to 'utf8.char' (value out of range)", lua.error("utf8.char(65, -1)"));
        assertEquals("bad argument #1 to 'utf8.char' (number has no integer representation)", lua.error("utf8.char(1.5)"));
        assertEquals("bad argument #1 to 'utf8.char' (number expected, got string)", lua.error("utf8.char('x')"));
    }

    @Test
    void charpatternMatchesOneEncodedCharacter() {
        assertArrayEquals(new byte[] {'[', 0, '-', 0x7F, (byte) 0xC2, '-', (byte) 0xFD, ']', '[', (byte) 0x80, '-',
            (byte) 0xBF, ']', '*'}, lua.bytes("utf8.charpattern"));
        assertEquals(4, lua.eval("(function() local n = 0 for _ in (" + S + "):gmatch(utf8.charpattern) do n = n + 1 end "
                + "return n end)()").toint());
        assertEquals("\u20ac", lua.text("(" + S + "):match(utf8.charpattern, 4)"));
    }

    @Test
    void codepointDecodesARangeOfCharacters() {
        assertValues(lua.run("return utf8.codepoint(" + S + ", 1, -1)"), 97, 233, 8364, 128512);
        assertValues(lua.run("return utf8.codepoint(" + S + ")"), 97);
        assertValues(lua.run("return utf8.codepoint(" + S + ", 4)"), 8364);
        assertValues(lua.run("return utf8.codepoint(" + S + ", -4)"), 128512);
        assertValues(lua.run("return utf8.codepoint(" + S + ", 2, 4)"), 233, 8364);
        assertEquals(0, lua.run("return utf8.codepoint(" + S + ", 5, 4)").narg());
        assertValues(lua.run("return utf8.codepoint('\\0')"), 0);
    }

    @Test
    void codepointReportsBoundsAndInvalidCodes() {
        assertEquals("bad argument #2 to 'utf8.codepoint' (out of bounds)", lua.error("utf8.codepoint('abc', 0)"));
        assertEquals("bad argument #3 to 'utf8.codepoint' (out of bounds)", lua.error("utf8.codepoint('abc', 1, 4)"));
        assertEquals("bad argument #3 to 'utf8.codepoint' (out of bounds)", lua.error("utf8.codepoint('', 1)"));
        assertEquals("invalid UTF-8 code", lua.error("utf8.codepoint(" + S + ", 3)"));
        assertEquals("invalid UTF-8 code", lua.error("utf8.codepoint('\\237\\160\\128')"));
        assertEquals("invalid UTF-8 code", lua.error("utf8.codepoint('abc\\228', 1, -1)"));
    }

    @Test
    void laxDecodingAcceptsSurrogatesAndOldLongForms() {
        assertValues(lua.run("return utf8.codepoint('\\237\\160\\128', 1, 1, true)"), 0xD800);
        assertValues(lua.run("return utf8.codepoint(utf8.char(0x7FFFFFFF), 1, 1, true)"), 0x7FFFFFFF);
        assertEquals(1, lua.eval("utf8.len('\\237\\160\\128', 1, -1, true)").toint());
        assertEquals("1:55296", lua.text("(function() local r = {} for p, c in utf8.codes('\\237\\160\\128', true) do "
                + "r[#r + 1] = p .. ':' .. c end return table.concat(r, ',') end)()"));
        // lax still rejects overlong forms
        assertValues(lua.run("return utf8.len('\\192\\128', 1, -1, true)"), LuaValue.NIL, LuaValue.valueOf(1));
    }

    @Test
    void lenCountsCharactersBetweenPositions() {
        assertEquals(3, lua.eval("utf8.len('abc')").toint());
        assertEquals(0, lua.eval("utf8.len('')").toint());
        assertEquals(4, lua.eval("utf8.len(" + S + ")").toint());
        assertEquals(5, lua.eval("utf8.len('\\230\\177\\137\\229\\173\\151/\\230\\188\\162\\229\\173\\151')").toint());
        assertEquals(1, lua.eval("utf8.len(" + S + ", 2, 3)").toint());
        assertEquals(1, lua.eval("utf8.len(" + S + ", -4)").toint());
        assertEquals(0, lua.eval("utf8.len('abc', 4)").toint());
        assertEquals(2, lua.eval("utf8.len(" + S + ", 1, 2)").toint());
    }

    @Test
    void lenReturnsNilAndThePositionOfTheFirstInvalidByte() {
        String[][] invalid = {
            {"'\\244\\144\\128\\128'", "1"},      // U+110000, above the Unicode range
            {"'\\240\\128\\128\\128'", "1"},      // overlong 4-byte NUL
            {"'\\192\\128'", "1"},                // overlong 2-byte NUL
            {"'\\193\\191'", "1"},                // overlong 2-byte U+007F
            {"'\\224\\159\\191'", "1"},           // overlong 3-byte U+07FF
            {"'\\237\\160\\128'", "1"},           // surrogate U+D800
            {"'\\237\\191\\191'", "1"},           // surrogate U+DFFF
            {"'abc\\228'", "4"},                  // truncated sequence
            {"'\\128'", "1"},                     // lone continuation byte
            {"'a\\255b'", "2"},
            {"'\\254'", "1"},
            {"'ab\\226\\130'", "3"},
        };
        for (String[] v : invalid) {
            Varargs r = lua.run("return utf8.len(" + v[0] + ")");
            assertEquals(LuaValue.NIL, r.arg1(), v[0]);
            assertEquals(Integer.parseInt(v[1]), r.arg(2).toint(), v[0]);
        }
        assertValues(lua.run("return utf8.len(" + S + ", 3)"), LuaValue.NIL, LuaValue.valueOf(3));
        // the limits of the valid ranges are accepted
        assertEquals(4, lua.eval("utf8.len('\\237\\159\\191\\238\\128\\128\\244\\143\\191\\191\\127')").toint());
    }

    @Test
    void lenReportsPositionsOutOfBounds() {
        assertEquals("bad argument #2 to 'utf8.len' (initial position out of bounds)", lua.error("utf8.len('abc', 0)"));
        assertEquals("bad argument #2 to 'utf8.len' (initial position out of bounds)", lua.error("utf8.len('abc', 5)"));
        assertEquals("bad argument #3 to 'utf8.len' (final position out of bounds)", lua.error("utf8.len('abc', 1, 4)"));
    }

    @Test
    void offsetFindsTheBytePositionOfTheNthCharacter() {
        int[][] forward = {{1, 1}, {2, 2}, {3, 4}, {4, 7}, {5, 11}};
        for (int[] v : forward) {
            assertEquals(v[1], lua.eval("utf8.offset(" + S + ", " + v[0] + ")").toint(), "n=" + v[0]);
        }
        assertEquals(LuaValue.NIL, lua.eval("utf8.offset(" + S + ", 6)"));
        int[][] backward = {{-1, 7}, {-2, 4}, {-3, 2}, {-4, 1}};
        for (int[] v : backward) {
            assertEquals(v[1], lua.eval("utf8.offset(" + S + ", " + v[0] + ")").toint(), "n=" + v[0]);
        }
        assertEquals(LuaValue.NIL, lua.eval("utf8.offset(" + S + ", -5)"));
        assertEquals(4, lua.eval("utf8.offset(" + S + ", 2, 2)").toint());
        assertEquals(2, lua.eval("utf8.offset(" + S + ", -1, 4)").toint());
        assertEquals(LuaValue.NIL, lua.eval("utf8.offset('alo', 5)"));
        assertEquals(LuaValue.NIL, lua.eval("utf8.offset('alo', -4)"));
    }

    @Test
    void offsetZeroFindsTheStartOfTheCharacterAtAPosition() {
        assertEquals(7, lua.eval("utf8.offset(" + S + ", 0, 9)").toint());
        assertEquals(4, lua.eval("utf8.offset(" + S + ", 0, 6)").toint());
        assertEquals(1, lua.eval("utf8.offset(" + S + ", 0, 1)").toint());
        assertEquals(11, lua.eval("utf8.offset(" + S + ", 0, 11)").toint());
    }

    @Test
    void offsetReportsBadPositions() {
        assertEquals("bad argument #3 to 'utf8.offset' (position out of bounds)", lua.error("utf8.offset('abc', 1, 5)"));
        assertEquals("bad argument #3 to 'utf8.offset' (position out of bounds)", lua.error("utf8.offset('abc', 1, -4)"));
        assertEquals("bad argument #3 to 'utf8.offset' (position out of bounds)", lua.error("utf8.offset('', 1, 2)"));
        assertEquals("bad argument #3 to 'utf8.offset' (position out of bounds)", lua.error("utf8.offset('', 1, -1)"));
        assertEquals("initial position is a continuation byte", lua.error("utf8.offset(" + S + ", 1, 3)"));
        assertEquals("initial position is a continuation byte", lua.error("utf8.offset('\\128', 1)"));
    }

    @Test
    void codesIteratesPositionsAndCodePoints() {
        assertEquals("1:97,2:233,4:8364,7:128512", lua.text("(function() local r = {} for p, c in utf8.codes(" + S + ") do "
                + "r[#r + 1] = p .. ':' .. c end return table.concat(r, ',') end)()"));
        assertEquals("", lua.text("(function() local r = {} for p, c in utf8.codes('') do r[#r + 1] = p end "
                + "return table.concat(r, ',') end)()"));
    }

    @Test
    void codesRaisesAnErrorOnInvalidSequences() {
        String loop = "(function(s) for _ in utf8.codes(s) do end end)";
        assertEquals("invalid UTF-8 code", lua.error(loop + "('ab\\255')"));
        assertEquals("invalid UTF-8 code", lua.error(loop + "('\\244\\144\\128\\128')"));
        assertEquals("invalid UTF-8 code", lua.error(loop + "('in\\128valid')"));
        assertEquals("invalid UTF-8 code", lua.error(loop + "('\\206\\177\\191\\206\\177')"));
        assertEquals("bad argument #1 to 'utf8.codes' (invalid UTF-8 code)", lua.error(loop + "('\\191invalid')"));
    }

    @Test
    void charAndCodepointRoundTripAcrossTheUnicodeRange() {
        assertTrue(lua.eval("(function() for _, c in ipairs({0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, "
                + "0xFFFF, 0x10000, 0x10FFFF}) do local s = utf8.char(c) "
                + "if utf8.codepoint(s) ~= c or utf8.len(s) ~= 1 then return false end end return true end)()")
                .toboolean());
    }

    private static void assertValues(Varargs actual, int... expected) {
        assertEquals(expected.length, actual.narg(), "number of results");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.arg(i + 1).toint(), "result " + (i + 1));
        }
    }

    private static void assertValues(Varargs actual, LuaValue... expected) {
        assertEquals(expected.length, actual.narg(), "number of results");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.arg(i + 1), "result " + (i + 1));
        }
    }
}
