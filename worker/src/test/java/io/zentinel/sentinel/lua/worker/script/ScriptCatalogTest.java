package io.zentinel.sentinel.lua.worker.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import org.junit.jupiter.api.Test;

class ScriptCatalogTest {

    private static ScriptSource source(String file, String text) {
        return ScriptSource.newBuilder().setFileName(file).setSource(text).build();
    }

    @Test
    void aScriptThatDoesNotCompileIsLeftOutWithItsLine() {
        ScriptCatalog catalog = ScriptCatalog.compile(List.of(
                source("good.lua", "function on_request_headers() end"),
                source("bad.lua", "-- name: bad\n\nfunction on_request_headers()\n  local x = = 1\nend")));
        assertEquals(List.of("good"), catalog.scripts().stream().map(ScriptDefinition::name).toList());
        ScriptProblem p = catalog.problems().get(0);
        assertEquals("bad.lua", p.getFileName());
        assertEquals(4, p.getLine());
        assertEquals("does not compile: unexpected symbol 61 (=)", p.getReason());
    }

    @Test
    void luajCompilerCrashesAreProblemsToo() {
        StringBuilder source = new StringBuilder("function f()\n");
        for (int i = 0; i < 250; i++) {
            source.append("local v").append(i).append(" = ").append(i).append('\n');
        }
        source.append("end\nfunction on_request_headers() end\n");
        ScriptCatalog catalog = ScriptCatalog.compile(List.of(source("locals.lua", source.toString())));
        assertEquals(List.of(), catalog.scripts());
        assertEquals(1, catalog.problems().size());
        assertTrue(catalog.problems().get(0).getReason().startsWith("does not compile"),
                catalog.problems().get(0).getReason());
    }

    @Test
    void aRepeatedNameKeepsTheFirstFile() {
        ScriptCatalog catalog = ScriptCatalog.compile(List.of(
                source("a.lua", "-- name: same\nfunction on_request_headers() end"),
                source("b.lua", "-- name: same\nfunction on_request_headers() end")));
        assertEquals(List.of("a.lua"), catalog.scripts().stream().map(ScriptDefinition::fileName).toList());
        assertEquals("script name 'same' is already used by a.lua", catalog.problems().get(0).getReason());
        assertEquals("b.lua", catalog.problems().get(0).getFileName());
    }

    @Test
    void scriptsAreIndexedInRunOrder() {
        ScriptCatalog catalog = ScriptCatalog.compile(List.of(
                source("a.lua", "-- priority: 200\nfunction on_request_headers() end"),
                source("b.lua", "-- priority: 100\nfunction on_request_headers() end"),
                source("c.lua", "-- priority: 100\n-- name: a-first\nfunction on_request_headers() end")));
        assertEquals(List.of("a-first", "b", "a"), catalog.scripts().stream().map(ScriptDefinition::name).toList());
        assertEquals(List.of(0, 1, 2), catalog.scripts().stream().map(ScriptDefinition::index).toList());
    }

    @Test
    void aLua54ScriptCompiles() {
        ScriptCatalog catalog = ScriptCatalog.compile(List.of(source("ops.lua",
                "local MASK <const> = 0xF0\nfunction on_request_headers(r) return (#r.uri & MASK) >> 4 end")));
        assertEquals(List.of(), catalog.problems());
        assertEquals(List.of("ops"), catalog.scripts().stream().map(ScriptDefinition::name).toList());
    }

    @Test
    void toBeClosedVariablesAreLeftOutWithTheirFileAndLine() {
        ScriptCatalog catalog = ScriptCatalog.compile(List.of(source("close.lua",
                "-- name: close\nfunction on_request_headers()\n  local f <close> = nil\nend")));
        assertEquals(List.of(), catalog.scripts());
        ScriptProblem p = catalog.problems().get(0);
        assertEquals("close.lua", p.getFileName());
        assertEquals(3, p.getLine());
        assertEquals("does not compile: to-be-closed variables (<close>) are not supported", p.getReason());
    }

    @Test
    void compileErrorsOfATranslatedScriptKeepTheirLine() {
        ScriptCatalog catalog = ScriptCatalog.compile(List.of(
                source("syntax.lua", "local x = 1 // 2\n\nlocal y = = 3\nfunction on_request_headers() end"),
                source("label.lua", "local x = 1 // 2\nfunction on_request_headers()\n  goto nowhere\nend\n"),
                source("label52.lua", "local x = 1\nfunction on_request_headers()\n  goto nowhere\nend\n"),
                source("const.lua", "local limit <const> = 10\nfunction on_request_headers()\n  limit = 11\nend")));
        // LuaC reports a missing label where it finds out: at the token after the function (line 5), in both dialects
        assertEquals(List.of("syntax.lua:3: does not compile: unexpected symbol near '='",
                "label.lua:5: does not compile: no visible label 'nowhere' for <goto> at line 3",
                "label52.lua:5: does not compile: no visible label 'nowhere' for <goto> at line 3",
                "const.lua:3: does not compile: attempt to assign to const variable 'limit'"),
                catalog.problems().stream().map(p -> p.getFileName() + ":" + p.getLine() + ": " + p.getReason()).toList());
    }

    @Test
    void theNamesTheScriptsCodeUsesAreKnownButNotTheirComments() {
        ScriptCatalog catalog = ScriptCatalog.compile(List.of(
                source("a.lua", """
                        -- regex.match would be nice here
                        local digest = crypto
                        function on_request_headers(request)
                            local function inner() return json.encode({ x = "time" }) end
                            return digest.sha256(inner())
                        end
                        """),
                source("bad.lua", "function on_request_headers() return http.url_decode( end")));
        assertTrue(catalog.mentions("crypto"));
        assertTrue(catalog.mentions("json"), "a global of a nested function");
        assertTrue(catalog.mentions("sha256"), "a field");
        assertTrue(catalog.mentions("time"), "a string literal of that spelling");
        assertFalse(catalog.mentions("regex"), "only in a comment");
        assertFalse(catalog.mentions("http"), "only in a script left out");
    }

    @Test
    void theLineOfARuntimeErrorIsFound() {
        assertEquals(12, ScriptCatalog.lineOf("auth.lua:12: attempt to index ? (a nil value)"));
        assertEquals(0, ScriptCatalog.lineOf("instructions (5) exceeds the maximum allowed"));
    }
}
