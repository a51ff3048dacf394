package io.zentinel.sentinel.lua.worker.lua.lib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.worker.sandbox.BudgetExceededError;
import org.junit.jupiter.api.Test;

class JsonLibTest {

    private final LuaHarness lua = new LuaHarness(TestGuard.lenient());

    // ------------------------------------------------------------------ decode

    @Test
    void decodesTheSeedReadmeExample() {
        assertEquals("value", lua.text("json.decode('{\"key\": \"value\"}').key"));
    }

    @Test
    void decodesArraysAsSequencesAndScalarsAsLuaValues() {
        lua.run("t = json.decode('[1, 2.5, \"x\", true, false, null, -0, 1e2]')");
        assertEquals(8, lua.eval("#t").toint());
        assertEquals(1, lua.eval("t[1]").toint());
        assertEquals(2.5, lua.eval("t[2]").todouble());
        assertEquals("x", lua.text("t[3]"));
        assertTrue(lua.eval("t[4] == true and t[5] == false").toboolean());
        assertTrue(lua.eval("t[6] == json.null").toboolean());
        assertEquals(0, lua.eval("t[7]").toint());
        assertEquals(100, lua.eval("t[8]").toint());
    }

    @Test
    void decodesNestedObjects() {
        lua.run("t = json.decode('{\"a\": {\"b\": [10, {\"c\": \"d\"}]}, \"e\": {}}')");
        assertEquals(10, lua.eval("t.a.b[1]").toint());
        assertEquals("d", lua.text("t.a.b[2].c"));
        assertTrue(lua.eval("next(t.e) == nil").toboolean());
    }

    @Test
    void decodesTopLevelScalars() {
        assertEquals(42, lua.eval("json.decode('42')").toint());
        assertEquals("hi", lua.text("json.decode(' \"hi\" ')"));
        assertTrue(lua.eval("json.decode('true')").toboolean());
        assertTrue(lua.eval("json.decode('null') == json.null").toboolean());
    }

    @Test
    void jsonNullIsAUniqueProtectedUserdata() {
        assertEquals("userdata", lua.text("type(json.null)"));
        assertEquals("json.null", lua.text("tostring(json.null)"));
        assertEquals("json.null", lua.text("getmetatable(json.null)"));
        assertTrue(lua.eval("json.null ~= nil and json.null ~= false and json.null ~= json.empty_array").toboolean());
        assertEquals("{\"a\":null,\"b\":[1,null]}", lua.text("json.encode(json.decode('{\"a\":null,\"b\":[1,null]}'))"));
    }

    @Test
    void integersBeyondTwoToThe31AreLuaNumbers() {
        assertEquals(2147483648.0, lua.eval("json.decode('2147483648')").todouble());
        assertEquals(-9007199254740992.0, lua.eval("json.decode('-9007199254740992')").todouble());
        // beyond 2^53 integers round to the nearest double, as Lua numbers must
        assertEquals(9007199254740992.0, lua.eval("json.decode('9007199254740993')").todouble());
        assertEquals(1.2345678901234567e19, lua.eval("json.decode('12345678901234567890')").todouble());
        assertEquals("2147483648", lua.text("tostring(json.decode('2147483648'))"));
    }

    @Test
    void rejectsNumbersOutsideTheDoubleRange() {
        assertEquals("json.decode: number out of range at line 1, column 6", lua.error("json.decode('1e999')"));
    }

    @Test
    void roundTripsUnicodeEscapesIncludingSurrogatePairs() {
        byte[] expected = "é😀€".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(expected, lua.bytes("json.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\\\\u20ac\"')"));
        assertArrayEquals(expected, lua.bytes("json.decode('\"é😀€\"')"));
        // encoding keeps UTF-8 as it is (no \\u escapes)
        assertEquals("\"é😀€\"", lua.text("json.encode(json.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\\\\u20ac\"'))"));
    }

    @Test
    void rejectsAnUnpairedSurrogateEscape() {
        assertEquals("json.decode: string contains an unpaired UTF-16 surrogate escape at line 1, column 1",
                lua.error("json.decode('\"\\\\ud800\"')"));
    }

    @Test
    void rejectsInputThatIsNotUtf8() {
        assertEquals("json.decode: input is not valid UTF-8 (invalid byte at position 2)",
                lua.error("json.decode('\"\\255\"')"));
        // an overlong encoding of '/' that a lenient decoder would accept
        assertEquals("json.decode: input is not valid UTF-8 (invalid byte at position 2)",
                lua.error("json.decode('\"\\192\\175\"')"));
        assertEquals("json.decode: invalid NUL byte at position 1", lua.error("json.decode('\\0{\\0}')"));
    }

    @Test
    void reportsSyntaxErrorsWithTheirPosition() {
        assertEquals("json.decode: no JSON value in the input", lua.error("json.decode('  ')"));
        assertEquals("json.decode: unexpected content after the top-level value at line 1, column 10",
                lua.error("json.decode('{\"a\":1} 2')"));
        assertTrue(lua.error("json.decode('{\"a\":1} x')").startsWith("json.decode: Unrecognized token 'x'"));
        assertEquals("json.decode: Unexpected end-of-input: expected close marker for Array"
                + " (start marker at line 1, column 7) at line 1, column 12", lua.error("json.decode('{\"a\": [1, 2')"));
        String trailingComma = lua.error("json.decode('[1,]')");
        assertTrue(trailingComma.startsWith("json.decode: Unexpected character (']' (code 93))"), trailingComma);
        assertTrue(lua.error("json.decode(\"{'a': 1}\")").startsWith("json.decode: Unexpected character (''' (code 39))"));
        assertTrue(lua.error("json.decode('NaN')").startsWith("json.decode: Non-standard token 'NaN'"));
    }

    @Test
    void rejectsDuplicateKeys() {
        assertEquals("json.decode: duplicate key \"role\" at line 1, column 16",
                lua.error("json.decode('{\"role\":\"user\",\"role\":\"admin\"}')"));
    }

    @Test
    void rejectsNestingDeeperThanTheLimitWithAClearMessage() {
        assertEquals(64, lua.eval("(function() local t = json.decode(('['):rep(64) .. (']'):rep(64)) "
                + "local d = 0 while t do d = d + 1 t = t[1] end return d end)()").toint());
        assertEquals("json.decode: nesting depth (65) exceeds the maximum allowed (64)",
                lua.error("json.decode(('['):rep(65) .. (']'):rep(65))"));
        assertEquals("json.decode: nesting depth (65) exceeds the maximum allowed (64)",
                lua.error("json.decode(('{\"a\":'):rep(65) .. '1' .. ('}'):rep(65))"));
        // far deeper input is rejected the same way, without a stack overflow
        assertEquals("json.decode: nesting depth (65) exceeds the maximum allowed (64)",
                lua.error("json.decode(('['):rep(100000))"));
    }

    @Test
    void aConfiguredDepthAndDocumentLimitAreNamedInMessages() {
        LuaHarness small = new LuaHarness(TestGuard.lenient(), g -> g.load(new JsonLib(TestGuard.lenient(), 2, 16)));
        assertEquals("json.decode: nesting depth (3) exceeds the maximum allowed (2)", small.error("json.decode('[[[]]]')"));
        assertEquals("json.encode: nesting depth (3) exceeds the maximum allowed (2)", small.error("json.encode({{{}}})"));
        assertEquals("json.decode: document length (17) exceeds the maximum allowed (16)",
                small.error("json.decode('\"0123456789abcde\"')"));
    }

    @Test
    void jacksonsOwnLimitsAreReportedWithoutItsInternalNames() {
        // a document limit above the string limit lets a long string reach jackson's maxStringLength
        LuaHarness small = new LuaHarness(TestGuard.withLimits(100, 10_000),
                g -> g.load(new JsonLib(TestGuard.withLimits(100, 10_000), 64, 100_000)));
        String message = small.error("json.decode('\"' .. ('x'):rep(50000) .. '\"')");
        assertTrue(message.matches("json\\.decode: string value length \\(\\d+\\) exceeds the maximum allowed \\(100\\)"), message);
    }

    @Test
    void constructorRejectsBadLimits() {
        var e = assertThrows(IllegalArgumentException.class, () -> new JsonLib(TestGuard.lenient(), 0, 10));
        assertEquals("maxDepth must be between 1 and 1000 (was 0)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new JsonLib(TestGuard.lenient(), 10, 0));
        assertEquals("maxDocumentBytes must be >= 1 (was 0)", e.getMessage());
    }

    @Test
    void decodedTablesCountAgainstTheGuardsTableLimit() {
        LuaHarness small = new LuaHarness(TestGuard.withLimits(1024, 3));
        assertEquals(3, small.eval("#json.decode('[1,2,3]')").toint());
        var e = assertThrows(BudgetExceededError.class, () -> small.run("return pcall(json.decode, '[1,2,3,4]')"));
        assertEquals(FailureKind.TABLE_LIMIT, e.kind());
        assertEquals("table size (4) exceeds the maximum allowed (3, from 'resource-limits.max-table-entries')",
                e.getMessage());
        assertThrows(BudgetExceededError.class, () -> small.run("return pcall(json.decode, '{\"a\":1,\"b\":2,\"c\":3,\"d\":4}')"));
    }

    @Test
    void decodeChecksTheDeadlineOnLargeDocuments() {
        TestGuard expired = TestGuard.withDeadline(Duration.ZERO);
        LuaHarness late = new LuaHarness(expired);
        var e = assertThrows(BudgetExceededError.class,
                () -> late.run("return pcall(json.decode, '[' .. ('0,'):rep(5000) .. '0]')"));
        assertEquals(FailureKind.TIME_LIMIT, e.kind());
    }

    // ------------------------------------------------------------------ encode

    @Test
    void encodesTheSeedReadmeExample() {
        assertEquals("{\"key\":\"value\"}", lua.text("json.encode({key = \"value\"})"));
    }

    @Test
    void encodesSequencesAsArraysAndSortsObjectKeys() {
        assertEquals("[1,2,3]", lua.text("json.encode({1, 2, 3})"));
        assertEquals("{\"a\":2,\"b\":1,\"c\":[true,false]}", lua.text("json.encode({c = {true, false}, b = 1, a = 2})"));
        assertEquals("{\"1\":\"x\"}", lua.text("json.encode({['1'] = 'x'})"));
        assertEquals("null", lua.text("json.encode(nil)"));
        assertEquals("\"s\"", lua.text("json.encode('s')"));
    }

    @Test
    void encodesNumbersExactly() {
        assertEquals("[1,-2,1.5,0.1,0,9007199254740992,1.0e20,-2.5e-7]",
                lua.text("json.encode({1, -2, 1.5, 0.1, -0.0, 2^53, 1e20, -2.5e-7})"));
        assertEquals(0.1, lua.eval("json.decode(json.encode(0.1))").todouble());
    }

    @Test
    void anEmptyTableIsAnObjectUnlessMarkedAsAnArray() {
        assertEquals("{}", lua.text("json.encode({})"));
        assertEquals("[]", lua.text("json.encode(json.empty_array)"));
        assertEquals("[]", lua.text("json.encode(json.as_array({}))"));
        assertEquals("{\"a\":[],\"b\":{}}", lua.text("json.encode(json.decode('{\"a\":[],\"b\":{}}'))"));
        assertEquals("{\"list\":[]}", lua.text("json.encode({list = json.empty_array})"));
        // the marker does not get in the way of a filled array
        assertEquals("[1,2]", lua.text("json.encode(json.as_array({1, 2}))"));
    }

    @Test
    void theArrayMarkerCannotBeModified() {
        assertEquals("the json array marker metatable is read-only",
                lua.error("(function() getmetatable(json.decode('[]')).__index = function() end end)()"));
        assertEquals("the json array marker metatable is read-only",
                lua.error("rawset(getmetatable(json.as_array({})), 'x', 1)"));
        // a script may still replace the metatable of its own tables
        assertEquals("{}", lua.text("json.encode(setmetatable(json.decode('[]'), nil))"));
    }

    @Test
    void rejectsTablesThatAreNeitherArraysNorObjects() {
        assertEquals("json.encode: cannot encode a table with non-string key 1 as an object (an array needs exactly the keys 1..n)",
                lua.error("json.encode({1, 2, x = 3})"));
        assertEquals("json.encode: cannot encode a table with non-string key 1.5 as an object (an array needs exactly the keys 1..n)",
                lua.error("json.encode({[1.5] = 1})"));
        assertTrue(lua.error("json.encode({[1] = 1, [3] = 3})").startsWith("json.encode: cannot encode a table with non-string key"));
        assertEquals("json.encode: cannot encode a table key of type boolean", lua.error("json.encode({[true] = 1})"));
        assertEquals("json.encode: a table marked as an array must have only the keys 1..n",
                lua.error("json.encode(json.as_array({x = 1}))"));
    }

    @Test
    void rejectsValuesJsonCannotHold() {
        assertEquals("json.encode: cannot encode NaN", lua.error("json.encode(0/0)"));
        assertEquals("json.encode: cannot encode inf", lua.error("json.encode({1/0})"));
        assertEquals("json.encode: cannot encode -inf", lua.error("json.encode({a = -1/0})"));
        assertEquals("json.encode: cannot encode a value of type function", lua.error("json.encode({f = print})"));
        assertEquals("bad argument #1 to 'json.encode' (value expected)", lua.error("json.encode()"));
    }

    @Test
    void rejectsCyclesButAcceptsSharedTables() {
        assertEquals("json.encode: cannot encode a table that contains itself (cycle)",
                lua.error("(function() local t = {} t.self = t return json.encode(t) end)()"));
        assertEquals("json.encode: cannot encode a table that contains itself (cycle)",
                lua.error("(function() local a, b = {}, {} a[1] = b b[1] = a return json.encode(a) end)()"));
        assertEquals("{\"a\":[1],\"b\":[1]}", lua.text("(function() local s = {1} return json.encode({a = s, b = s}) end)()"));
    }

    @Test
    void rejectsNestingDeeperThanTheLimit() {
        String nest = "(function(n) local t = {} for i = 1, n do t = {t} end return t end)";
        assertEquals(64 * 2, lua.eval("#json.encode(" + nest + "(63))").toint());
        assertEquals("json.encode: nesting depth (65) exceeds the maximum allowed (64)",
                lua.error("json.encode(" + nest + "(64))"));
    }

    @Test
    void escapesControlCharactersQuotesAndBackslashes() {
        assertEquals("\"a\\n\\\"\\\\\\u0001\\t\\r\\b\\f/\u007f\"",
                lua.text("json.encode('a\\n\"\\\\\\1\\t\\r\\b\\f/\\127')"));
        assertEquals("a\n\"\\\u0001", lua.text("json.decode(json.encode('a\\n\"\\\\\\1'))"));
    }

    @Test
    void rejectsStringsThatAreNotUtf8() {
        assertEquals("json.encode: string is not valid UTF-8 (invalid byte at position 2)",
                lua.error("json.encode('a\\255')"));
        // an encoded surrogate (CESU-8) is not UTF-8 either
        assertEquals("json.encode: string is not valid UTF-8 (invalid byte at position 1)",
                lua.error("json.encode({k = '\\237\\160\\128'})"));
        assertEquals("json.encode: string is not valid UTF-8 (invalid byte at position 1)",
                lua.error("json.encode({['\\192\\175'] = 1})"));
    }

    @Test
    void encodeOutputCountsAgainstTheGuardsStringLimit() {
        LuaHarness small = new LuaHarness(TestGuard.withLimits(1000, 10_000));
        assertEquals(998, small.eval("#json.encode(('x'):rep(996))").toint());
        var e = assertThrows(BudgetExceededError.class, () -> small.run("return pcall(json.encode, {('x'):rep(999)})"));
        assertEquals(FailureKind.STRING_LIMIT, e.kind());
    }

    @Test
    void prettyPrintsWithTwoSpacesAndSortedKeys() {
        String expected = """
                {
                  "a": 1,
                  "b": [
                    true,
                    "x",
                    {
                      "c": null
                    }
                  ],
                  "d": {},
                  "e": []
                }""";
        assertEquals(expected,
                lua.text("json.encode_pretty({e = json.empty_array, d = {}, b = {true, 'x', {c = json.null}}, a = 1})"));
        assertEquals("[]", lua.text("json.encode_pretty(json.decode('[]'))"));
        assertEquals("7", lua.text("json.encode_pretty(7)"));
        assertEquals("json.encode_pretty: cannot encode NaN", lua.error("json.encode_pretty({0/0})"));
    }

    @Test
    void prettyOutputOfTheSeedExampleDecodesToTheSameValue() {
        lua.run("local obj = json.decode('{\"key\": \"value\", \"n\": [1, 2]}') pretty = json.encode_pretty(obj)"
                + " again = json.encode(json.decode(pretty))");
        assertEquals("{\n  \"key\": \"value\",\n  \"n\": [\n    1,\n    2\n  ]\n}", lua.text("pretty"));
        assertEquals("{\"key\":\"value\",\"n\":[1,2]}", lua.text("again"));
    }

    @Test
    void canonicalTextRoundTripsUnchanged() {
        String[] docs = {
            "{\"a\":[1,2.5,\"s\",true,false,null],\"b\":{\"c\":{}},\"d\":[]}",
            "[[],[[]],{\"x\":[{}]}]",
            "\"\\u0000 \\\" \\\\ \\n ü 😀\"",
            "-123",
        };
        for (String doc : docs) {
            lua.globals.set("doc", LuaBytes.utf8(doc));
            assertEquals(doc, lua.text("json.encode(json.decode(doc))"), doc);
        }
    }

    @Test
    void requireFindsTheModuleWherePackageExists() {
        assertTrue(lua.eval("require('json') == json").toboolean());
    }
}
