package io.zentinel.sentinel.lua.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaThread;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.OneArgFunction;

/**
 * Lua 5.4's {@code warn}, {@code table.move}, {@code coroutine.isyieldable}, {@code coroutine.close}
 * and {@code string.pack}/{@code unpack}/{@code packsize}, which LuaJ lacks, as the sandbox offers them.
 * The expected texts are what {@code lua5.4} 5.4.4 prints for the same code.
 */
class Lua54AdditionsTest {
    private static final String JOIN = "local function join(t, n) local s = {} for i = 1, n do s[i] = tostring(t[i]) end "
            + "return table.concat(s, ',') end ";

    private final LuaRunner lua = new LuaRunner();

    @Test
    void tableMoveCopiesARangeIntoAnotherTableAndReturnsIt() {
        assertEquals("true x,b,c,y", lua.text(JOIN + "local a2 = {'x', 'z', 'z', 'y'} "
                + "local r = table.move({'a', 'b', 'c'}, 2, 3, 2, a2) return tostring(r == a2) .. ' ' .. join(a2, 4)"));
    }

    @Test
    void tableMoveWithinOneTableSurvivesAnOverlapInEitherDirection() {
        assertEquals("1,1,2,3,4", lua.text(JOIN + "local t = {1, 2, 3, 4} table.move(t, 1, 4, 2) return join(t, 5)"));
        assertEquals("2,3,4,4", lua.text(JOIN + "local t = {1, 2, 3, 4} table.move(t, 2, 4, 1) return join(t, 4)"));
        assertEquals("true", lua.text("local t = {1} return tostring(table.move(t, 1, 1, 3) == t)"));
    }

    @Test
    void tableMoveOfAnEmptyRangeChangesNothing() {
        assertEquals("1", lua.text("local t = {1} table.move({}, 1, 0, 1, t) return #t"));
    }

    @Test
    void tableMoveGoesThroughMetamethods() {
        assertEquals("A,B", lua.text(JOIN + "local seen = {} "
                + "local src = setmetatable({}, {__index = function(_, k) return ({'A', 'B'})[k] end}) "
                + "local dst = setmetatable({}, {__newindex = function(_, k, v) seen[k] = v end}) "
                + "table.move(src, 1, 2, 1, dst) return join(seen, 2)"));
    }

    @Test
    void tableMoveChecksItsArgumentsAsLua54Does() {
        assertEquals("bad argument #3 to 'table.move' (too many elements to move)",
                lua.text("local ok, e = pcall(table.move, {}, -1, math.maxinteger, 1) return e"));
        assertEquals("bad argument #4 to 'table.move' (destination wrap around)",
                lua.text("local ok, e = pcall(table.move, {}, 1, 10, math.maxinteger) return e"));
        assertEquals("false", lua.text("return tostring(pcall(table.move, 'abc', 1, 2, 1))"));
    }

    @Test
    void tableMoveRespectsTheTableLimit() {
        LuaRunner small = new LuaRunner(RunLimits.defaults().withMaxTableEntries(100));
        assertEquals("table size (101) exceeds the maximum allowed (100, from 'resource-limits.max-table-entries')",
                small.failure(FailureKind.TABLE_LIMIT, "local t = {} for i = 1, 60 do t[i] = i end table.move(t, 1, 60, 42)"));
        assertEquals("table size (1000000) exceeds the maximum allowed (100, from 'resource-limits.max-table-entries')",
                small.failure(FailureKind.TABLE_LIMIT, "table.move({}, 1, 1000000, 1, {})"));
    }

    @Test
    void warnLogsOnlyOnceTurnedOnAndChecksItsArguments() {
        String log = stderrOf(() -> assertEquals("ok", lua.text(
                "warn('before') warn('@on') warn('now ', 'on') warn('@unknown') warn('@off') warn('after') return 'ok'")));

        assertTrue(log.contains("script test.lua - now on"), log);
        assertFalse(log.contains("before") || log.contains("after") || log.contains("unknown"), log);
        assertEquals("bad argument #2 to 'warn' (string expected, got table)",
                lua.text("local ok, e = pcall(warn, 'x', {}) return e"));
        assertEquals("bad argument #1 to 'warn' (string expected, got no value)",
                lua.text("local ok, e = pcall(warn) return e"));
        assertEquals("ok", lua.text("warn('@on') warn('n = ', 1) warn('@off') return 'ok'"), "numbers are strings here");
    }

    private static String stderrOf(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static final String HEX = "local function hex(s) return (s:gsub('.', function(c) "
            + "return string.format('%02x', c:byte()) end)) end ";

    @Test
    void stringPackWritesIntegersStringsAndPaddingAsLua54() {
        assertEquals("feffffff", lua.text(HEX + "return hex(string.pack('<i4', -2))"));
        assertEquals("0102026162636400", lua.text(HEX + "return hex(string.pack('>I2 s1 z', 258, 'ab', 'cd'))"));
        assertEquals("0100000007000000", lua.text(HEX + "return hex(string.pack('!<b i4', 1, 7))"));
        assertEquals("ffffffffffffffffffffffffffffffff", lua.text(HEX + "return hex(string.pack('<i16', -1))"));
        assertEquals("6162000000", lua.text(HEX + "return hex(string.pack('c5', 'ab'))"));
        assertEquals("16", lua.text("return string.packsize('!<b i4 Xi8 d')"));
    }

    @Test
    void stringUnpackReadsWhatPackWritesAndTheNextPosition() {
        assertEquals("-2 9 4", lua.text("return table.concat({string.unpack('<i2 B', '\\xfe\\xff\\x09')}, ' ')"));
        assertEquals("abc 5", lua.text("return table.concat({string.unpack('>s1', '\\x03abcdef')}, ' ')"));
        assertEquals("hi 5 5", lua.text("return table.concat({string.unpack('z B', 'hi\\0\\5')}, ' ')"));
        assertEquals("1.5 9", lua.text("return table.concat({string.unpack('<d', string.pack('<d', 1.5))}, ' ')"));
        assertEquals("0.25 5", lua.text("return table.concat({string.unpack('<f', string.pack('<f', 0.25))}, ' ')"));
        assertEquals("3 4", lua.text("return table.concat({string.unpack('B', '\\1\\2\\3', -1)}, ' ')"));
        assertEquals("-7 1 2 11", lua.text("return table.concat({string.unpack('>j B B', string.pack('>j B B', -7, 1, 2))}, ' ')"));
    }

    @Test
    void stringPackAndUnpackRefuseWhatLua54Refuses() {
        String[][] cases = {
            {"string.pack, 'i2', 40000", "bad argument #2 to 'string.pack' (integer overflow)"},
            {"string.pack, 'y'", "invalid format option 'y'"},
            {"string.unpack, 'i4', 'ab'", "bad argument #2 to 'string.unpack' (data string too short)"},
            {"string.packsize, 's'", "bad argument #1 to 'string.packsize' (variable-length format)"},
            {"string.unpack, '<i9', '\\0\\0\\0\\0\\0\\0\\0\\0\\1'", "9-byte integer does not fit into Lua Integer"},
            {"string.pack, 'i17', 1", "integral size (17) out of limits [1,16]"},
            {"string.pack, '!3 i4', 1", "bad argument #1 to 'string.pack' (format asks for alignment not power of 2)"},
            {"string.pack, 'c2', 'abc'", "bad argument #2 to 'string.pack' (string longer than given size)"},
            {"string.unpack, 'B', '\\1', 3", "bad argument #3 to 'string.unpack' (initial position out of string)"},
            {"string.pack, 'Xc'", "missing size for format option 'c'"},
            {"string.pack, 'z', 'a\\0b'", "bad argument #2 to 'string.pack' (string contains zeros)"},
            {"string.pack, 'i4', 1.5", "bad argument #2 to 'string.pack' (number has no integer representation)"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], lua.text("local ok, e = pcall(" + c[0] + ") return e"), c[0]);
        }
    }

    @Test
    void stringPackRespectsTheStringLimit() {
        LuaRunner small = new LuaRunner(RunLimits.defaults().withMaxStringBytes(1000));
        small.failure(FailureKind.STRING_LIMIT, "return string.pack('s4', ('x'):rep(999))");
        assertEquals("1000", small.text("return #string.pack('s4', ('x'):rep(996))"));
    }

    @Test
    void coroutineIsYieldableIsTrueOnlyInsideACoroutine() {
        assertEquals("false true", lua.text("local inside = coroutine.wrap(function() return coroutine.isyieldable() end)() "
                + "return tostring(coroutine.isyieldable()) .. ' ' .. tostring(inside)"));
    }

    @Test
    void coroutineCloseEndsASuspendedCoroutineWhichThenCannotBeResumed() {
        assertEquals("suspended true dead false cannot resume dead coroutine", lua.text(
                "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end) "
                        + "coroutine.resume(co, 1) local before = coroutine.status(co) local closed = coroutine.close(co) "
                        + "local ok, err = coroutine.resume(co, 5) "
                        + "return before .. ' ' .. tostring(closed) .. ' ' .. coroutine.status(co) .. ' ' .. tostring(ok) "
                        + ".. ' ' .. err"));
    }

    @Test
    void coroutineCloseEndsACoroutineSuspendedOutsideAnyLuaFunction() {
        assertEquals("true dead", lua.text("local co = coroutine.create(coroutine.yield) coroutine.resume(co, 1) "
                + "return tostring(coroutine.close(co)) .. ' ' .. coroutine.status(co)"));
    }

    @Test
    void coroutineCloseOfAFreshOrFinishedCoroutineIsTrue() {
        assertEquals("true dead true", lua.text("local fresh = coroutine.create(function() end) "
                + "local a = coroutine.close(fresh) local done = coroutine.create(function() return 1 end) "
                + "coroutine.resume(done) return tostring(a) .. ' ' .. coroutine.status(fresh) .. ' ' "
                + ".. tostring(coroutine.close(done))"));
    }

    @Test
    void coroutineCloseReturnsTheErrorACoroutineDiedOfOnce() {
        assertEquals("false test.lua:1: boom | false test.lua:1: boom | true", lua.text(
                "local bad = coroutine.create(function() error('boom') end) "
                        + "local r1, e1 = coroutine.resume(bad) coroutine.resume(bad) local ok, e = coroutine.close(bad) "
                        + "return tostring(r1) .. ' ' .. e1 .. ' | ' .. tostring(ok) .. ' ' .. e .. ' | ' "
                        + ".. tostring(coroutine.close(bad))"));
        // LuaJ hands a coroutine's error on as its message: resume and close return a string
        assertEquals("string string", lua.text("local bad = coroutine.create(function() error({code = 1}) end) "
                + "local _, r = coroutine.resume(bad) local _, e = coroutine.close(bad) return type(r) .. ' ' .. type(e)"));
    }

    @Test
    void coroutineCloseRefusesRunningAndNormalCoroutinesAndNonThreads() {
        assertEquals("false cannot close a running coroutine",
                lua.text("local ok, e = pcall(coroutine.close, coroutine.running()) return tostring(ok) .. ' ' .. e"));
        assertEquals("false cannot close a running coroutine", lua.text(
                "local _, ok, e = coroutine.resume(coroutine.create(function() "
                        + "return pcall(coroutine.close, coroutine.running()) end)) return tostring(ok) .. ' ' .. e"));
        assertEquals("false cannot close a normal coroutine", lua.text("local outer outer = coroutine.create(function() "
                + "local inner = coroutine.create(function() return pcall(coroutine.close, outer) end) "
                + "return coroutine.resume(inner) end) "
                + "local _, _, ok, e = coroutine.resume(outer) return tostring(ok) .. ' ' .. e"));
        assertEquals("bad argument #1 to 'coroutine.close' (thread expected, got no value)",
                lua.text("local _, e = pcall(coroutine.close) return e"));
        assertEquals("bad argument #1 to 'coroutine.close' (thread expected, got number)",
                lua.text("local _, e = pcall(coroutine.close, 42) return e"));
    }

    @Test
    void aClosedCoroutinesJavaThreadHasEndedWhenCloseReturns() {
        LuaTable env = lua.sandbox.newScriptEnv();
        env.rawset("thread_alive", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue co) {
                return LuaValue.valueOf(((CallFrames) ((LuaThread) co).callstack).thread.isAlive());
            }
        });
        RunOutcome outcome = lua.run("local co = coroutine.create(function() while true do coroutine.yield() end end) "
                + "coroutine.resume(co) local before = thread_alive(co) coroutine.close(co) "
                + "return tostring(before) .. ' ' .. tostring(thread_alive(co))", env);
        assertEquals("true false", ((RunOutcome.Completed) outcome).values().arg1().tojstring());
    }
}
