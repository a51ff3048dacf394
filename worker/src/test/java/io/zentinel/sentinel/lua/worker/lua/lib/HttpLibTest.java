package io.zentinel.sentinel.lua.worker.lua.lib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.worker.sandbox.BudgetExceededError;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaValue;

class HttpLibTest {

    private final LuaHarness lua = new LuaHarness(TestGuard.lenient());

    @Test
    void urlEncodeKeepsOnlyUnreservedCharacters() {
        assertEquals("hello%20world", lua.text("http.url_encode('hello world')"));
        assertEquals("AZaz09-._~", lua.text("http.url_encode('AZaz09-._~')"));
        assertEquals("a%2Bb%3Dc%26d%2Fe%3Ff%23g%25h", lua.text("http.url_encode('a+b=c&d/e?f#g%h')"));
        assertEquals("caf%C3%A9%00%FF", lua.text("http.url_encode('café\\0\\255')"));
        assertEquals("", lua.text("http.url_encode('')"));
    }

    @Test
    void urlDecodeTurnsPlusIntoSpaceAndDecodesEitherCase() {
        assertEquals("hello world", lua.text("http.url_decode('hello%20world')"));
        assertEquals("a b+c", lua.text("http.url_decode('a+b%2bc')"));
        assertArrayEquals(new byte[] {'c', 'a', 'f', (byte) 0xC3, (byte) 0xA9, 0, (byte) 0xFF},
                lua.bytes("http.url_decode('caf%c3%A9%00%ff')"));
    }

    @Test
    void urlDecodeKeepsInvalidEscapesAsTheyAre() {
        assertEquals("100%", lua.text("http.url_decode('100%')"));
        assertEquals("%zz%4", lua.text("http.url_decode('%zz%4')"));
        assertEquals("%%41", lua.text("http.url_decode('%%2541')"));
        assertEquals("%A", lua.text("http.url_decode('%%41')"));
    }

    @Test
    void urlEncodeAndDecodeRoundTripEveryByte() {
        assertTrue(lua.eval("(function() local s = '' for i = 0, 255 do s = s .. string.char(i) end "
                + "return http.url_decode(http.url_encode(s)) == s end)()").toboolean());
    }

    @Test
    void parseQuerySplitsDecodesAndKeepsRepeatedKeysAsLists() {
        lua.run("q = http.parse_query('foo=bar&baz=qux')");
        assertEquals("bar", lua.text("q.foo"));
        assertEquals("qux", lua.text("q.baz"));
        lua.run("q = http.parse_query('a=1&b=2&a=3')");
        assertEquals("table", lua.text("type(q.a)"));
        assertEquals("1,3", lua.text("table.concat(q.a, ',')"));
        assertEquals("2", lua.text("q.b"));
        lua.run("q = http.parse_query('a=1&a=2&a=3')");
        assertEquals("1,2,3", lua.text("table.concat(q.a, ',')"));
    }

    @Test
    void parseQueryHandlesKeysWithoutValuesEmptyPiecesAndEncoding() {
        lua.run("q = http.parse_query('?flag&x=&&name=J%C3%BCrgen+M&e%3D=%3D&=v&eq=a=b')");
        assertEquals("", lua.text("q.flag"));
        assertEquals("", lua.text("q.x"));
        assertEquals("Jürgen M", lua.text("q.name"));
        assertEquals("=", lua.text("q['e=']"));
        assertEquals("v", lua.text("q['']"));
        assertEquals("a=b", lua.text("q.eq"));
        assertEquals(6, lua.eval("(function() local n = 0 for _ in pairs(q) do n = n + 1 end return n end)()").toint());
    }

    @Test
    void parseQueryOfNothingIsAnEmptyTable() {
        assertTrue(lua.eval("next(http.parse_query('')) == nil").toboolean());
        assertTrue(lua.eval("next(http.parse_query(nil)) == nil").toboolean());
        assertTrue(lua.eval("next(http.parse_query('&&')) == nil").toboolean());
    }

    @Test
    void parseQueryCountsKeysAgainstTheTableLimit() {
        LuaHarness small = new LuaHarness(TestGuard.withLimits(1024, 2));
        assertEquals("1,3", small.text("table.concat(http.parse_query('a=1&b=2&a=3').a, ',')"));
        var e = assertThrows(BudgetExceededError.class, () -> small.run("return pcall(http.parse_query, 'a&b&c')"));
        assertEquals(FailureKind.TABLE_LIMIT, e.kind());
        assertThrows(BudgetExceededError.class, () -> small.run("return pcall(http.parse_query, 'a=1&a=2&a=3')"));
    }

    @Test
    void buildQuerySortsKeysAndRepeatsListValues() {
        assertEquals("foo=bar", lua.text("http.build_query({foo = 'bar'})"));
        assertEquals("a=1&a=3&b=2", lua.text("http.build_query({b = 2, a = {'1', 3}})"));
        assertEquals("q=hello%20world&t=true&x%26y=%3D", lua.text("http.build_query({['x&y'] = '=', q = 'hello world', t = true})"));
        assertEquals("", lua.text("http.build_query({})"));
        assertEquals("", lua.text("http.build_query({a = {}})"));
    }

    @Test
    void buildQueryAndParseQueryRoundTrip() {
        lua.run("q = http.parse_query(http.build_query({a = {'1', '2'}, b = 'x y', c = ''}))");
        assertEquals("1,2|x y|", lua.text("table.concat(q.a, ',') .. '|' .. q.b .. '|' .. q.c"));
    }

    @Test
    void buildQueryRejectsValuesThatAreNotScalarsOrLists() {
        assertEquals("http.build_query: value for key \"a\" must be a list (keys 1..n), not a table with other keys",
                lua.error("http.build_query({a = {x = 1}})"));
        assertEquals("http.build_query: value for key \"f\" must be a string, number, boolean or a list of them"
                + " (got function)", lua.error("http.build_query({f = print})"));
        assertEquals("http.build_query: cannot use a key of type boolean", lua.error("http.build_query({[true] = 1})"));
        assertEquals("bad argument #1 to 'http.build_query' (table expected, got string)", lua.error("http.build_query('a=1')"));
    }

    @Test
    void parseCookiesSplitsTrimsAndUnquotes() {
        lua.run("c = http.parse_cookies('a=1; b=2;c = \"quoted value\" ;  session=abc=def; flag; =nameless; a=dup')");
        assertEquals("1", lua.text("c.a"));
        assertEquals("2", lua.text("c.b"));
        assertEquals("quoted value", lua.text("c.c"));
        assertEquals("abc=def", lua.text("c.session"));
        assertEquals("", lua.text("c.flag"));
        assertEquals(5, lua.eval("(function() local n = 0 for _ in pairs(c) do n = n + 1 end return n end)()").toint());
        assertEquals("%20x", lua.text("http.parse_cookies('k=%20x').k"));
        assertEquals("\"", lua.text("http.parse_cookies('k=\"').k"));
    }

    @Test
    void parseCookiesOfNothingIsAnEmptyTable() {
        assertTrue(lua.eval("next(http.parse_cookies(nil)) == nil").toboolean());
        assertTrue(lua.eval("next(http.parse_cookies('')) == nil").toboolean());
        assertTrue(lua.eval("next(http.parse_cookies(' ; ;')) == nil").toboolean());
    }

    @Test
    void statusTextUsesTheIanaRegistryNames() {
        assertEquals("OK", lua.text("http.status_text(200)"));
        assertEquals("Not Found", lua.text("http.status_text(404)"));
        assertEquals("Content Too Large", lua.text("http.status_text(413)"));
        assertEquals("Unprocessable Content", lua.text("http.status_text(422)"));
        assertEquals("I'm a teapot", lua.text("http.status_text(418)"));
        assertEquals("(Unused)", lua.text("http.status_text(306)"));
        assertEquals("Not Extended", lua.text("http.status_text(510)"));
        assertEquals("Early Hints", lua.text("http.status_text(103)"));
        assertEquals("Network Authentication Required", lua.text("http.status_text('511')"));
        assertEquals(63, HttpStatus.size());
    }

    @Test
    void statusTextOfAnUnknownCodeIsNil() {
        assertEquals(LuaValue.NIL, lua.eval("http.status_text(299)"));
        assertEquals(LuaValue.NIL, lua.eval("http.status_text(99)"));
        assertEquals(LuaValue.NIL, lua.eval("http.status_text(4040000000)"));
        assertEquals("bad argument #1 to 'http.status_text' (number expected, got no value)", lua.error("http.status_text()"));
        assertEquals("bad argument #1 to 'http.status_text' (number expected, got nil)", lua.error("http.status_text(nil)"));
    }
}
