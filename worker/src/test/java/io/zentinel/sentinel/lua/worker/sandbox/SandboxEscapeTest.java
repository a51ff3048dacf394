package io.zentinel.sentinel.lua.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/** Escape attempts: what a script must not reach or change. */
class SandboxEscapeTest {
    private final LuaRunner lua = new LuaRunner();

    @Test
    void dangerousGlobalsAndFunctionsAreAbsent() {
        for (String expression : List.of("os.execute", "os.exit", "os.getenv", "os.remove", "os.rename",
                "os.tmpname", "os.setlocale", "io", "luajava", "require", "dofile", "loadfile", "debug", "package",
                "module", "getfenv", "setfenv", "string.dump", "unpack", "loadstring", "newproxy")) {
            assertEquals("nil", lua.text("return type(" + expression + ")"), expression);
        }
    }

    @Test
    void expectedLibrariesArePresent() {
        for (String expression : List.of("string.upper", "table.concat", "math.floor", "bit32.band",
                "coroutine.create", "os.time", "os.clock", "os.date", "pcall", "load", "print", "json.encode",
                "crypto.sha256", "http.url_encode", "encoding.base64_encode", "regex.match", "time.now",
                "utf8.char")) {
            assertEquals("function", lua.text("return type(" + expression + ")"), expression);
        }
    }

    @Test
    void requiringAJavaClassIsImpossible() {
        Varargs r = lua.values("return pcall(require, 'org.luaj.vm2.lib.jse.LuajavaLib')");
        assertFalse(r.arg1().toboolean());
        assertEquals("nil", lua.text("return type(luajava)"));
    }

    @Test
    void loadRejectsBinaryChunks() {
        Varargs r = lua.values("return load('\\27Lua\\82\\0\\1\\4\\4\\4\\8\\0')");
        assertTrue(r.arg1().isnil());
        assertEquals("attempt to load a binary chunk (mode is 't')", r.arg(2).tojstring());
    }

    @Test
    void loadRejectsBinaryMode() {
        Varargs r = lua.values("return load('return 1', 'chunk', 'b')");
        assertTrue(r.arg1().isnil());
        assertEquals("attempt to load a text chunk (mode is 'b')", r.arg(2).tojstring());
    }

    @Test
    void loadRejectsFunctionChunks() {
        Varargs r = lua.values("local parts = {'return ', '1'} local i = 0 "
                + "return load(function() i = i + 1 return parts[i] end)");
        assertTrue(r.arg1().isnil());
        assertEquals("load: only string chunks can be loaded in the sandbox, not functions", r.arg(2).tojstring());
    }

    @Test
    void stringDumpCannotProduceBytecode() {
        Varargs r = lua.values("return pcall(string.dump, function() end)");
        assertFalse(r.arg1().toboolean());
    }

    @Test
    void loadedTextRunsInTheCallingScriptsEnvironment() {
        assertEquals("5", lua.text("x = 5 return load('return x')()"));
        assertEquals("1", lua.text("load('y = 1')() return y"));
        assertEquals("false", lua.text("local f = load('return string', 'c', 't', nil) return tostring(pcall(f))"));
        assertEquals("7", lua.text("return load('return z', 'c', 't', {z = 7})()"));
    }

    @Test
    void loadReportsCompileErrorsAsValues() {
        Varargs r = lua.values("return load('x = = 1')");
        assertTrue(r.arg1().isnil());
        assertEquals("[string \"load\"]:1: unexpected symbol 61 (=)", r.arg(2).tojstring());
    }

    @Test
    void loadSurvivesLuajCompilerCrashOnTooManyLocals() {
        StringBuilder source = new StringBuilder();
        for (int i = 0; i < 250; i++) {
            source.append("local v").append(i).append(" = ").append(i).append('\n');
        }
        Varargs r = lua.values("return load(...)".replace("...", "'" + source.toString().replace("\n", "\\n") + "'"));
        assertTrue(r.arg1().isnil());
        assertTrue(r.arg(2).tojstring().startsWith("load: load: cannot compile (java.lang.NullPointerException")
                || r.arg(2).tojstring().contains("too many local variables"), r.arg(2).tojstring());
    }

    @Test
    void stringLibraryCannotBeChanged() {
        for (String attempt : List.of("string.upper = nil", "getmetatable('').__index.upper = nil",
                "rawset(getmetatable('').__index, 'upper', nil)", "getmetatable('').__index = {}",
                "rawset(getmetatable(''), '__index', {})", "setmetatable(getmetatable(''), {})",
                "table.insert(string, 'x')", "table.remove(getmetatable(''))")) {
            String message = lua.failure(FailureKind.SCRIPT_ERROR, attempt);
            assertTrue(message.endsWith("table is read-only"), attempt + " -> " + message);
        }
        assertEquals("ABC", lua.text("return ('abc'):upper()"));
        assertSame(SharedStringLib.metatable(), LuaString.s_metatable);
    }

    @Test
    void libraryTablesCannotBeChanged() {
        for (String attempt : List.of("math.floor = nil", "table.concat = print", "rawset(os, 'execute', print)",
                "coroutine.create = nil", "json.encode = nil", "os.time = nil", "bit32.band = nil",
                "table.sort(math)", "setmetatable(math, {})")) {
            String message = lua.failure(FailureKind.SCRIPT_ERROR, attempt);
            assertTrue(message.endsWith("table is read-only"), attempt + " -> " + message);
        }
    }

    @Test
    void aScriptCannotSeeAnotherScriptsGlobals() {
        LuaTable first = lua.sandbox.newScriptEnv();
        LuaTable second = lua.sandbox.newScriptEnv();
        lua.run("secret = 42 string = 'shadowed' function on_request_headers() end", first);
        RunOutcome outcome = lua.run("return secret, type(string), on_request_headers, _G.secret", second);
        Varargs values = ((RunOutcome.Completed) outcome).values();
        assertTrue(values.arg(1).isnil());
        assertEquals("table", values.arg(2).tojstring());
        assertTrue(values.arg(3).isnil());
        assertTrue(values.arg(4).isnil());
        assertEquals(LuaValue.valueOf(42), first.rawget("secret"));
    }

    @Test
    void theEnvironmentsMetatableIsProtected() {
        assertEquals("false", lua.text("return tostring(getmetatable(_ENV))"));
        String message = lua.failure(FailureKind.SCRIPT_ERROR, "setmetatable(_ENV, nil)");
        assertTrue(message.endsWith("cannot change a protected metatable"), message);
        assertEquals("true", lua.text("_G.x = 1 return tostring(x == 1 and _G == _ENV)"));
    }

    @Test
    void osOffersOnlyClocks() {
        assertEquals("1970-01-01 00:00:00", lua.text("return os.date('!%Y-%m-%d %H:%M:%S', 0)"));
        assertEquals("2 1 1970 6", lua.text("local t = os.date('!*t', 86400) return t.day .. ' ' .. t.month .. ' ' .. t.year .. ' ' .. t.wday"));
        assertEquals("Thu Jan  1 00:00:00 1970", lua.text("return os.date('!%c', 0)"));
        assertEquals("number number", lua.text("return type(os.time()) .. ' ' .. type(os.clock())"));
        assertEquals("true", lua.text("return tostring(os.time({year = 2024, month = 1, day = 1}) > 1.7e9)"));
        String message = lua.failure(FailureKind.SCRIPT_ERROR, "return os.date('%Q')");
        assertTrue(message.endsWith("invalid conversion specifier '%Q'"), message);
    }

    @Test
    void collectgarbageOnlyCounts() {
        assertEquals("number", lua.text("return type(collectgarbage('count'))"));
        String message = lua.failure(FailureKind.SCRIPT_ERROR, "collectgarbage()");
        assertTrue(message.endsWith("collectgarbage: option 'collect' is not available in the sandbox (only 'count')"),
                message);
    }

    @Test
    void printNeverWritesToStdout() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            lua.values("print('hello', 1, nil, {}) io = nil");
        } finally {
            System.setOut(original);
        }
        assertEquals("", captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void runtimeErrorsCarryFileAndLine() {
        assertEquals("test.lua:2: attempt to index ? (a nil value)",
                lua.failure(FailureKind.SCRIPT_ERROR, "local t = nil\nreturn t.x"));
        assertEquals("test.lua:1: boom", lua.failure(FailureKind.SCRIPT_ERROR, "error('boom')"));
        assertEquals("test.lua:1: boom", lua.text("return select(2, pcall(function() error('boom') end))"));
        assertEquals("boom", lua.text("return select(2, pcall(error, 'boom'))"));
        assertEquals("table", lua.text("return type(select(2, pcall(error, {code = 1})))"));
        assertEquals("handled: test.lua:1: x|test.lua:1: y", lua.text("local _, a = xpcall(function() error('x') end, "
                + "function(e) return 'handled: ' .. e end) local _, b = pcall(function() error('y') end) "
                + "return a .. '|' .. b"));
        assertEquals("test.lua:1: in a coroutine", lua.text("local co = coroutine.create(function() "
                + "error('in a coroutine') end) local _, e = coroutine.resume(co) return e"));
    }

    @Test
    void rawJavaExceptionsFromLibraryTailCallsBecomeScriptErrors() {
        // a library function with a bug (LuaJ's own %f threw ArrayIndexOutOfBoundsException), called
        // as a tail call, which LuaJ evaluates outside the calling closure's error handling
        LuaTable env = lua.sandbox.newScriptEnv();
        env.rawset("buggy", new org.luaj.vm2.lib.ZeroArgFunction() {
            @Override
            public LuaValue call() {
                throw new ArrayIndexOutOfBoundsException("Index -1 out of bounds for length 256");
            }
        });
        RunOutcome outcome = lua.run("return buggy()", env);
        RunOutcome.Failed failed = org.junit.jupiter.api.Assertions.assertInstanceOf(RunOutcome.Failed.class, outcome);
        assertEquals(FailureKind.SCRIPT_ERROR, failed.kind());
        assertEquals("internal error in a library function: java.lang.ArrayIndexOutOfBoundsException: "
                + "Index -1 out of bounds for length 256", failed.message());
        assertEquals("2", lua.text("return 1 + 1"));
    }
}
