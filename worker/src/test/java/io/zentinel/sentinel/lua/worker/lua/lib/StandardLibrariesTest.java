package io.zentinel.sentinel.lua.worker.lua.lib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.BaseLib;

class StandardLibrariesTest {

    private static final Map<String, Set<String>> MODULES = Map.of(
            "json", Set.of("decode", "encode", "encode_pretty", "as_array", "null", "empty_array"),
            "crypto", Set.of("md5", "sha1", "sha256", "sha384", "sha512", "hmac_sha1", "hmac_sha256", "hmac_sha384",
                    "hmac_sha512", "random_bytes", "random_hex"),
            "http", Set.of("url_encode", "url_decode", "parse_query", "build_query", "parse_cookies", "status_text"),
            "encoding", Set.of("base64_encode", "base64_decode", "base64url_encode", "base64url_decode", "hex_encode",
                    "hex_decode", "gzip_compress", "gzip_decompress"),
            "regex", Set.of("match", "find", "find_all", "replace"),
            "time", Set.of("now", "now_ms", "format", "parse"),
            "utf8", Set.of("char", "charpattern", "codepoint", "len", "offset", "codes"));

    @Test
    void installSetsEveryModuleAsAGlobalWithExactlyItsDocumentedNames() {
        LuaHarness lua = new LuaHarness(TestGuard.lenient());
        for (var module : MODULES.entrySet()) {
            LuaValue table = lua.globals.get(module.getKey());
            assertTrue(table.istable(), module.getKey());
            Set<String> keys = new TreeSet<>();
            for (LuaValue k : ((LuaTable) table).keys()) {
                keys.add(k.tojstring());
            }
            assertEquals(new TreeSet<>(module.getValue()), keys, module.getKey());
        }
    }

    @Test
    void theSeedReadmeSnippetsRunAsWritten() {
        LuaHarness lua = new LuaHarness(TestGuard.lenient());
        lua.run("""
                cookie_header = "session=abc; theme=dark"
                local obj = json.decode('{"key": "value"}')
                local str = json.encode({key = "value"})
                local pretty = json.encode_pretty(obj)
                local hash = crypto.sha256("data")
                local hash384 = crypto.sha384("data")
                local hash512 = crypto.sha512("data")
                local mac = crypto.hmac_sha256("key", "message")
                local bytes = crypto.random_bytes(32)
                local hex = crypto.random_hex(16)
                local encoded = http.url_encode("hello world")
                local decoded = http.url_decode("hello%20world")
                local params = http.parse_query("foo=bar&baz=qux")
                local query = http.build_query({foo = "bar"})
                local cookies = http.parse_cookies(cookie_header)
                local text = http.status_text(200) -- "OK"
                local b64 = encoding.base64_encode("data")
                local data = encoding.base64_decode(b64)
                local hex = encoding.hex_encode("data")
                local data = encoding.hex_decode(hex)
                local compressed = encoding.gzip_compress("data")
                local data = encoding.gzip_decompress(compressed)
                local matched = regex.match("^hello", "hello world")
                local found = regex.find("\\\\d+", "value: 42")
                local all = regex.find_all("\\\\d+", "1 2 3")
                local replaced = regex.replace("\\\\d+", "value: 42", "X")
                local now = time.now() -- Unix timestamp
                local now_ms = time.now_ms() -- Milliseconds
                local formatted = time.format(now, "%Y-%m-%d")
                local ts = time.parse("2024-01-01", "%Y-%m-%d")
                -- #hex is the hex_encode result: the README reuses the name
                results = {obj.key, str, pretty, hash, #bytes, #hex, encoded, decoded, params.baz, query,
                    cookies.theme, text, data, tostring(matched), found, #all, replaced, ts, #formatted}
                """);
        assertEquals("value|{\"key\":\"value\"}|{\n  \"key\": \"value\"\n}"
                + "|3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7|32|8|hello%20world|hello world"
                + "|qux|foo=bar|dark|OK|data|true|42|3|value: X|1704067200|10",
                lua.text("table.concat(results, '|')"));
    }

    @Test
    void installRegistersTheModulesInPackageLoaded() {
        LuaHarness lua = new LuaHarness(TestGuard.lenient());
        for (String name : MODULES.keySet()) {
            assertSame(lua.globals.get(name), lua.globals.get("package").get("loaded").get(name), name);
        }
    }

    @Test
    void installWorksWithoutThePackageLibrary() {
        Globals g = new Globals();
        g.load(new BaseLib());
        StandardLibraries.install(g, TestGuard.lenient());
        for (String name : MODULES.keySet()) {
            assertTrue(g.get(name).istable(), name);
        }
    }

    @Test
    void eachVmGetsItsOwnModuleInstances() {
        LuaHarness a = new LuaHarness(TestGuard.lenient());
        LuaHarness b = new LuaHarness(TestGuard.lenient());
        assertNotSame(a.globals.get("json"), b.globals.get("json"));
        assertNotSame(a.eval("json.null"), b.eval("json.null"));
    }

    @Test
    void libraryFunctionsPrintTheirQualifiedName() {
        LuaHarness lua = new LuaHarness(TestGuard.lenient());
        assertEquals("builtin: json.decode", lua.text("tostring(json.decode)"));
        assertEquals("builtin: utf8.codes", lua.text("tostring((utf8.codes('')))"));
    }
}
