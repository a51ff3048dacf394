package io.zentinel.sentinel.lua.worker.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The text the translation produces, and what it rejects. */
class SourceTranslationTest {
    private static final String W = SourceTranslation.WRAPPER_PREFIX;

    private static String translate(String source) {
        return SourceTranslation.translate(source);
    }

    private static DialectException rejection(String source) {
        return assertThrows(DialectException.class, () -> SourceTranslation.translate(source));
    }

    private static void assertUntouched(String source) {
        byte[] bytes = source.getBytes(StandardCharsets.UTF_8);
        SourceTranslation.Result result = SourceTranslation.translate(bytes);
        assertSame(bytes, result.source(), () -> "changed: " + new String(result.source(), StandardCharsets.UTF_8));
        assertFalse(result.wrapped());
    }

    // ------------------------------------------------------------------ what stays as it is

    @Test
    void aLua52ScriptComesOutAsTheVerySameBytes() {
        assertUntouched("""
                -- name: plain
                local t = {a = 1, ["b"] = 2; 3}
                function on_request_headers(request)
                  if request.uri ~= "/" and #t >= 1 then
                    return {decision = "block", status = 403}
                  end
                  for i = 1, 10, 2 do t[i] = i % 3 / 2 ^ 2 .. "" end
                  goto done
                  ::done::
                end
                """);
    }

    @Test
    void operatorCharactersInStringsAndCommentsAreNotOperators() {
        assertUntouched("""
                local a = "x // y & z | w ~ v << 1 >> 2"
                local b = 'it\\'s' .. 'a \\' // quote'
                -- a // b & c
                --[==[ a // b
                   ]] still the comment ~x ]==]
                local c = [[ 1 << 2 ]] .. [=[ ]] // ]=]
                return a, b, c
                """);
    }

    @Test
    void comparisonsThatLookLikeAttributesStayLua52() {
        assertUntouched("local ok = a < const > b\nreturn ok");
    }

    @Test
    void aSyntaxErrorInLua52IsLeftToLuaC() {
        assertUntouched("x = = 1");
        assertUntouched("x = 'unfinished");
        assertUntouched("local s = '\\q' -- LuaJ accepts unknown escapes");
    }

    // ------------------------------------------------------------------ operators

    @Test
    void integerDivisionBecomesACallOnTheSameLine() {
        assertEquals(W + "return (__lua54.idiv(7 , 2)) end", translate("return 7 // 2"));
    }

    @Test
    void everyBinaryOperatorHasItsFunction() {
        assertEquals(W + "return (__lua54.band(a , b)), (__lua54.bor(a , b)), (__lua54.bxor(a , b)), "
                + "(__lua54.shl(a , b)), (__lua54.shr(a , b)) end",
                translate("return a & b, a | b, a ~ b, a << b, a >> b"));
    }

    @Test
    void unaryNotIsACallToo() {
        assertEquals(W + "return (__lua54.bnot(x)), (__lua54.bnot((__lua54.bnot(y)))), -(__lua54.bnot(z)) end",
                translate("return ~x, ~~y, -~z"));
    }

    @Test
    void shiftBindsLooserThanAddition() {
        assertEquals(W + "return (__lua54.shl(1 + 2 , 3)) end", translate("return 1 + 2 << 3"));
    }

    @Test
    void comparisonBindsLooserThanBitwiseAnd() {
        assertEquals(W + "return (__lua54.band(a , b)) == c end", translate("return a & b == c"));
    }

    @Test
    void orXorAndBindInThatOrder() {
        assertEquals(W + "return (__lua54.bor(a , (__lua54.bxor(b , (__lua54.band(c , d)))))) end",
                translate("return a | b ~ c & d"));
        assertEquals(W + "return (__lua54.bor((__lua54.bxor((__lua54.band(a , b)) , c)) , d)) end",
                translate("return a & b ~ c | d"));
    }

    @Test
    void concatenationBindsTighterThanShifts() {
        assertEquals(W + "return (__lua54.shl(a .. b , c)) end", translate("return a .. b << c"));
        assertEquals(W + "return a .. (__lua54.idiv(b , c)) end", translate("return a .. b // c"));
    }

    @Test
    void unaryOperatorsBindTighterThanFloorDivisionButLooserThanPower() {
        assertEquals(W + "return (__lua54.idiv(-x , 2)) end", translate("return -x // 2"));
        assertEquals(W + "return (__lua54.bnot(x ^ 2)) end", translate("return ~x ^ 2"));
        assertEquals(W + "return 2 ^ (__lua54.bnot(x)) end", translate("return 2 ^ ~x"));
    }

    @Test
    void operatorsOfOnePrecedenceAssociateToTheLeft() {
        assertEquals(W + "return (__lua54.idiv((__lua54.idiv(a , b)) , c)) end", translate("return a // b // c"));
        assertEquals(W + "return (__lua54.idiv(a * b , c)) % d end", translate("return a * b // c % d"));
        assertEquals(W + "return (__lua54.shr((__lua54.shl(a , b)) , c)) end", translate("return a << b >> c"));
    }

    @Test
    void aFloatNumeralOperandMakesFloorDivisionAFloatDivision() {
        assertEquals(W + "return (__lua54.fidiv(1.0 , 0)), (__lua54.fidiv(7 , -2e0)), (__lua54.idiv(7 , 2)) end",
                translate("return 1.0 // 0, 7 // -2e0, 7 // 2"));
    }

    @Test
    void operandsReachAcrossCallsIndexingAndParentheses() {
        assertEquals(W + "x = (__lua54.band(f(a, b)[1].c:d() , (e or 0xff))) end", translate("x = f(a, b)[1].c:d() & (e or 0xff)"));
        assertEquals(W + "t[(__lua54.idiv(i , 2))] = {(__lua54.bor(1 , 2)), k = (__lua54.bnot(0))} end",
                translate("t[i // 2] = {1 | 2, k = ~0}"));
    }

    @Test
    void operatorsInsideFunctionsAreTranslated() {
        assertEquals(W + "local function f(a, ...) return (__lua54.idiv(a , select('#', ...))) end end",
                translate("local function f(a, ...) return a // select('#', ...) end"));
    }

    @Test
    void everyTokenStaysOnItsLine() {
        String source = "local x = a\n  // b -- why\n  // c\nreturn x,\n ~\n y\n";
        String translated = translate(source);
        assertEquals(W + "local x = (__lua54.idiv((__lua54.idiv(a\n  , b)) -- why\n  , c))\nreturn x,\n "
                + "(__lua54.bnot(\n y))\n end", translated);
        assertEquals(source.split("\n", -1).length, translated.split("\n", -1).length);
    }

    @Test
    void codeWithoutSpacesTranslatesToo() {
        assertEquals(W + "return(__lua54.bnot(x)) end", translate("return~x"));
        assertEquals(W + "if(__lua54.idiv((a),b)) then end end", translate("if(a)//b then end"));
    }

    @Test
    void aTrailingLineCommentDoesNotSwallowTheClosingEnd() {
        assertEquals(W + "return (__lua54.idiv(1 , 2)) -- half\nend", translate("return 1 // 2 -- half"));
    }

    @Test
    void aFirstLineStartingWithHashStaysTheFirstLine() {
        assertEquals("#!/usr/bin/env lua\n" + W + "return (__lua54.idiv(1 , 2)) end",
                translate("#!/usr/bin/env lua\nreturn 1 // 2"));
    }

    // ------------------------------------------------------------------ other Lua 5.4 syntax

    @Test
    void constAttributesAreDropped() {
        assertEquals("local x  = 5\nlocal a, b  = 1, 2\nreturn x", translate("local x <const> = 5\nlocal a<const>, b <const> = 1, 2\nreturn x"));
        assertEquals("local x local y = 1", translate("local x<const>local y = 1"));
    }

    @Test
    void aConstMayBeShadowedButNotAssigned() {
        assertEquals("local x  = 1\ndo local x = 2; x = 3 end\nreturn x",
                translate("local x <const> = 1\ndo local x = 2; x = 3 end\nreturn x"));
        DialectException e = rejection("local x <const> = 1\nlocal function f()\n  x = 2\nend");
        assertEquals(3, e.line());
        assertEquals("attempt to assign to const variable 'x'", e.reason());
        assertEquals("attempt to assign to const variable 'f'",
                rejection("local f <const> = 1\nfunction f() end").reason());
    }

    @Test
    void toBeClosedVariablesAreRejectedWithTheirLine() {
        DialectException e = rejection("local a = 1\n\nlocal f <close> = io.open('x')\n");
        assertEquals(3, e.line());
        assertEquals("to-be-closed variables (<close>) are not supported", e.reason());
        assertFalse(e.syntax());
    }

    @Test
    void unknownAttributesAreRejected() {
        assertEquals("unknown attribute 'static'", rejection("local x <static> = 1").reason());
    }

    @Test
    void utf8EscapesBecomeDecimalEscapesOfTheirBytes() {
        assertEquals("return \"\\072\\105 \\226\\130\\1721\", '\\244\\143\\191\\191'",
                translate("return \"\\u{48}\\u{0069} \\u{20AC}1\", '\\u{10FFFF}'"));
        assertEquals("return '\\\\u{48}', '\\065'", translate("return '\\\\u{48}', '\\u{41}'"));
    }

    @Test
    void utf8EscapesUpTo2Pow31AreEncodedAsLua54Does() {
        assertEquals("return '\\253\\191\\191\\191\\191\\191'", translate("return '\\u{7FFFFFFF}'"));
        assertEquals("UTF-8 value too large near ''\\u{80000000'", rejection("return '\\u{80000000}'").reason());
    }

    @Test
    void hexIntegersOf2Pow63AndAboveWrapAroundAsInLua54() {
        assertEquals("return (-1), (-9223372036854775808), 0x7fffffffffffffff, 1, 0x1p63",
                translate("return 0xffffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff, 0x10000000000000001, 0x1p63"));
    }

    // ------------------------------------------------------------------ errors

    @Test
    void aSyntaxErrorInLua54IsReportedInLua54sWords() {
        DialectException e = rejection("local x = 1 // 2\n\nlocal y = = 3");
        assertTrue(e.syntax());
        assertEquals(3, e.line());
        assertEquals("unexpected symbol near '='", e.reason());
        assertEquals("'end' expected (to close 'function' at line 1) near '<eof>'",
                rejection("function f()\n  return a & b\n").reason());
        assertEquals("syntax error near '&'", rejection("x & 1\ny = 2").reason());
        assertEquals("malformed number near '3x'", rejection("return 1 // 3x").reason());
    }

    @Test
    void symbolsOutsideAsciiAreNamedByTheirByte() {
        assertEquals("unexpected symbol near '<\\195>'", rejection("return 1 // ä").reason());
    }

    @Test
    void varargOutsideAVarargFunctionIsASyntaxError() {
        assertEquals("cannot use '...' outside a vararg function near '...'",
                rejection("function f(a) return a // ... end").reason());
    }

    @Test
    void theOperatorsNameIsReserved() {
        DialectException e = rejection("local __lua54 = 1\nreturn 1 // 2");
        assertEquals(1, e.line());
        assertEquals("the name '__lua54' is reserved for the translation of Lua 5.4 operators", e.reason());
    }

    @Test
    void nestingIsBounded() {
        String deep = "return " + "(".repeat(Lua54Parser.MAX_DEPTH + 1) + "1 // 2" + ")".repeat(Lua54Parser.MAX_DEPTH + 1);
        assertEquals("chunk has too many syntax levels", rejection(deep).reason());
    }
}
