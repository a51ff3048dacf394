package io.zentinel.sentinel.lua.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.Varargs;

/** The limits of a script run, and that a run past one of them cannot continue. */
class InstructionBudgetTest {
    private static final String INSTRUCTIONS_10K =
            "instructions (10001) exceeds the maximum allowed (10000, from 'resource-limits.max-instructions')";

    private final LuaRunner small = new LuaRunner(RunLimits.defaults().withMaxInstructions(10_000));

    @Test
    void anInfiniteLoopEndsWithTheInstructionLimit() {
        assertEquals(INSTRUCTIONS_10K, small.failure(FailureKind.INSTRUCTION_LIMIT, "while true do end"));
    }

    @Test
    void pcallCannotSwallowTheInstructionLimit() {
        assertEquals(INSTRUCTIONS_10K, small.failure(FailureKind.INSTRUCTION_LIMIT,
                "pcall(function() while true do end end) return 'escaped'"));
        assertEquals(INSTRUCTIONS_10K, small.failure(FailureKind.INSTRUCTION_LIMIT,
                "xpcall(function() while true do end end, function(e) return e end) return 'escaped'"));
    }

    @Test
    void aCoroutineCannotSwallowTheLimitEither() {
        assertEquals(INSTRUCTIONS_10K, small.failure(FailureKind.INSTRUCTION_LIMIT,
                "pcall(function() coroutine.wrap(function() while true do end end)() end) return 'escaped'"));
        assertEquals(INSTRUCTIONS_10K, small.failure(FailureKind.INSTRUCTION_LIMIT,
                "local co = coroutine.create(function() while true do end end) "
                        + "local ok = coroutine.resume(co) local x = 0 for i = 1, 10 do x = x + i end return x"));
    }

    @Test
    void callbacksRunByLibrariesAreCounted() {
        small.failure(FailureKind.INSTRUCTION_LIMIT,
                "table.sort({3, 2, 1}, function(a, b) while true do end end)");
        small.failure(FailureKind.INSTRUCTION_LIMIT,
                "string.gsub('abc', '%w', function(c) while true do end end)");
    }

    @Test
    void theLimitIsPerRunAndTheVmStaysUsable() {
        small.failure(FailureKind.INSTRUCTION_LIMIT, "while true do end");
        assertEquals("55", small.text("local x = 0 for i = 1, 10 do x = x + i end return x"));
        assertTrue(small.sandbox.budget().instructions() < 100);
    }

    @Test
    void theScriptTimeoutStopsALoop() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxInstructions(Long.MAX_VALUE / 2).withTimes(10_000, 50));
        long start = System.nanoTime();
        String message = lua.failure(FailureKind.TIME_LIMIT, "while true do end");
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(Pattern.matches("script execution time in ms \\(\\d+\\) exceeds the maximum allowed "
                + "\\(50, from 'scripts.timeout'\\)", message), message);
        assertTrue(elapsedMs < 2_000, "stopped after " + elapsedMs + " ms");
    }

    @Test
    void theEventDeadlineStopsALoopWhenItComesFirst() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxInstructions(Long.MAX_VALUE / 2).withTimes(40, 10_000));
        lua.sandbox.beginEvent(System.nanoTime());
        try {
            String message = lua.failure(FailureKind.TIME_LIMIT, "while true do end");
            assertTrue(Pattern.matches("execution time in ms \\(\\d+\\) exceeds the maximum allowed "
                    + "\\(40, from 'resource-limits.max-execution-time'\\)", message), message);
        } finally {
            lua.sandbox.endEvent();
        }
    }

    @Test
    void aRunStartingAfterTheEventDeadlineFailsAtOnce() throws InterruptedException {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withTimes(1, 10_000));
        lua.sandbox.beginEvent(System.nanoTime());
        Thread.sleep(5);
        lua.failure(FailureKind.TIME_LIMIT, "return 1");
        lua.sandbox.endEvent();
        assertEquals("1", lua.text("return 1"));
    }

    @Test
    void deepRecursionIsACatchableStackOverflow() {
        LuaRunner lua = new LuaRunner();
        String message = lua.failure(FailureKind.SCRIPT_ERROR,
                "local function f(n) return 1 + f(n + 1) end return f(1)");
        assertEquals("test.lua:1: stack overflow", message);
        Varargs caught = lua.values("local function f(n) return 1 + f(n + 1) end return pcall(f, 1)");
        assertFalse(caught.arg1().toboolean());
        assertTrue(caught.arg(2).tojstring().endsWith("stack overflow"), caught.arg(2).tojstring());
        assertEquals("2", lua.text("return 1 + 1"));
    }

    @Test
    void theCallDepthLimitIsConfigurable() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxCallDepth(10));
        assertEquals("8", lua.text("local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(8)"));
        lua.failure(FailureKind.SCRIPT_ERROR,
                "local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(10)");
    }

    @Test
    void tailCallsDoNotGrowTheDepth() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxCallDepth(10));
        assertEquals("done", lua.text("local function f(n) if n == 0 then return 'done' end return f(n - 1) end return f(1000)"));
    }

    @Test
    void aHugeRepIsRefusedBeforeItIsBuilt() {
        LuaRunner lua = new LuaRunner();
        String expected = "string length (1000000000) exceeds the maximum allowed (10485760, "
                + "from 'resource-limits.max-string-bytes')";
        assertEquals(expected, lua.failure(FailureKind.STRING_LIMIT, "return string.rep('x', 1e9)"));
        assertEquals(expected, lua.failure(FailureKind.STRING_LIMIT, "return ('x'):rep(1e9)"));
        assertEquals(expected, lua.failure(FailureKind.STRING_LIMIT, "return pcall(string.rep, 'x', 1e9)"));
        assertEquals("ab,ab,ab", lua.text("return string.rep('ab', 3, ',')"));
        assertEquals("", lua.text("return string.rep('ab', 0)"));
        assertEquals("aaaaaaa", lua.text("return ('a'):rep(7)"));
    }

    @Test
    void concatenationCannotDoubleItsWayPastTheLimit() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxStringBytes(1024 * 1024));
        assertEquals("string length (2097152) exceeds the maximum allowed (1048576, from "
                        + "'resource-limits.max-string-bytes')",
                lua.failure(FailureKind.STRING_LIMIT, "local s = 'x' for i = 1, 40 do s = s .. s end"));
        assertEquals("1048576", lua.text("local s = 'x' for i = 1, 20 do s = s .. s end return #s"));
    }

    @Test
    void tableConcatIsCheckedBeforeItRuns() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxStringBytes(1024 * 1024));
        String message = lua.failure(FailureKind.STRING_LIMIT,
                "local t = {} local s = ('x'):rep(1000) for i = 1, 2000 do t[i] = s end return table.concat(t)");
        assertTrue(message.startsWith("string length (10") && message.endsWith("from 'resource-limits.max-string-bytes')"),
                message);
        assertEquals("a,b,c", lua.text("return table.concat({'a', 'b', 'c'}, ',')"));
    }

    @Test
    void formatIsBoundedByItsArguments() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxStringBytes(1024 * 1024));
        lua.failure(FailureKind.STRING_LIMIT,
                "local s = ('x'):rep(600000) return string.format('%s%s', s, s)");
        assertEquals("a-1-ff", lua.text("return string.format('%s-%d-%x', 'a', 1, 255)"));
    }

    @Test
    void gsubWithAHugeReplacementIsStoppedWhileBuilding() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxStringBytes(1024 * 1024));
        lua.failure(FailureKind.STRING_LIMIT, "local s = ('x'):rep(1000) return s:gsub('', ('y'):rep(2000))");
        lua.failure(FailureKind.STRING_LIMIT,
                "local big = ('y'):rep(5000) return (('x'):rep(1000)):gsub('x', function() return big end)");
        lua.failure(FailureKind.STRING_LIMIT,
                "local big = ('y'):rep(5000) return (('x'):rep(1000)):gsub('x', {x = big})");
    }

    @Test
    void gsubGivesTheSameResultsUnderASmallStringLimit() {
        LuaRunner native_ = new LuaRunner();
        LuaRunner bounded = new LuaRunner(RunLimits.defaults().withMaxStringBytes(200));
        for (String call : List.of(
                "('hello world'):gsub('o', '%0%0')",
                "('hello world'):gsub('(o)', '[%1]')",
                "('hello world'):gsub('l+', '<%0>', 1)",
                "('abc'):gsub('%w*', 'x')",
                "('abc'):gsub('', '-')",
                "('abc'):gsub('^', '>')",
                "('abc'):gsub('^a', '%%')",
                "('a,b,,c'):gsub(',', ';;')",
                "('key=val'):gsub('(%w+)=(%w+)', '%2=%1')",
                "('abc'):gsub('()b', '%1')",
                "('x y z'):gsub('%s', '%1')")) {
            String source = "return select('#', " + call + "), " + call;
            String expected = native_.text("local r, n = " + call + " return r .. '|' .. n");
            String actual = bounded.text("local r, n = " + call + " return r .. '|' .. n");
            assertEquals(expected, actual, call + " (" + source + ")");
        }
    }

    @Test
    void aGzipBombIsAStringLimitHitThatPcallAndCoroutinesCannotCatch() throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bytes)) {
            gz.write(new byte[8 * 1024 * 1024]);
        }
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxStringBytes(1024 * 1024));
        for (String source : List.of("local ok = pcall(encoding.gzip_decompress, bomb) return 'escaped'",
                "local ok = coroutine.resume(coroutine.create(function() return encoding.gzip_decompress(bomb) end)) "
                        + "local x = 0 for i = 1, 10 do x = x + i end return 'escaped'")) {
            LuaTable env = lua.sandbox.newScriptEnv();
            env.rawset("bomb", org.luaj.vm2.LuaString.valueUsing(bytes.toByteArray()));
            RunOutcome outcome = lua.run(source, env);
            RunOutcome.Failed failed = assertInstanceOf(RunOutcome.Failed.class, outcome, outcome::toString);
            assertEquals(FailureKind.STRING_LIMIT, failed.kind());
            assertEquals("string length (1048577) exceeds the maximum allowed (1048576, from "
                    + "'resource-limits.max-string-bytes')", failed.message());
        }
    }

    @Test
    void coroutinesAreCountedPerRun() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxCoroutines(2));
        assertEquals("too many coroutines in one script run (3, the maximum allowed is 2, from "
                + "'resource-limits.max-coroutines')", lua.failure(FailureKind.SCRIPT_ERROR,
                "for i = 1, 3 do coroutine.create(function() end) end").replaceFirst("^test.lua:1: ", ""));
        assertEquals("ok", lua.text("coroutine.wrap(function() end)() coroutine.wrap(function() end)() return 'ok'"));
    }

    @Test
    void suspendedCoroutinesDoNotOutliveTheirRun() throws InterruptedException {
        LuaRunner lua = new LuaRunner();
        LuaTable env = lua.sandbox.newScriptEnv();
        RunOutcome first = lua.run("co = coroutine.create(function() coroutine.yield(1) return 2 end) "
                + "return coroutine.resume(co)", env);
        assertInstanceOf(RunOutcome.Completed.class, first);
        long deadline = System.nanoTime() + 5_000_000_000L;
        String status = "";
        while (System.nanoTime() < deadline) {
            status = ((RunOutcome.Completed) lua.run("return coroutine.status(co)", env)).values().arg1().tojstring();
            if (status.equals("dead")) {
                break;
            }
            Thread.sleep(10);
        }
        assertEquals("dead", status);
        Varargs resumed = ((RunOutcome.Completed) lua.run("return coroutine.resume(co)", env)).values();
        assertFalse(resumed.arg1().toboolean());
    }

    @Test
    void allocationBeyondTheMemoryLimitEndsTheRun() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxMemoryBytes(8L * 1024 * 1024)
                .withMaxInstructions(Long.MAX_VALUE / 2).withTimes(10_000, 10_000));
        // many tables, each within resource-limits.max-table-entries, all kept alive
        String message = lua.failure(FailureKind.MEMORY_LIMIT, "local all = {} for i = 1, 1e8 do "
                + "local t = {} for j = 1, 5000 do t[j] = {} end all[i] = t end");
        assertTrue(Pattern.matches("live heap growth in bytes \\(\\d+\\) exceeds the maximum allowed \\(8388608, from "
                + "'resource-limits.max-memory'\\)", message), message);
    }

    @Test
    void tableInsertRespectsTheTableLimit() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxTableEntries(100));
        assertEquals("table size (101) exceeds the maximum allowed (100, from 'resource-limits.max-table-entries')",
                lua.failure(FailureKind.TABLE_LIMIT, "local t = {} for i = 1, 200 do table.insert(t, i) end"));
    }

    @Test
    void hugeMultipleResultsAreRefused() {
        LuaRunner lua = new LuaRunner();
        assertEquals("false too many results to unpack",
                lua.text("local ok, e = pcall(table.unpack, {}, 1, 1e8) return tostring(ok) .. ' ' .. e"));
        assertEquals("false string slice too long",
                lua.text("local s = ('x'):rep(2000000) local ok, e = pcall(string.byte, s, 1, -1) "
                        + "return tostring(ok) .. ' ' .. e"));
        assertEquals("3", lua.text("return select('#', string.byte('abc', 1, -1))"));
    }

    @Test
    void theBudgetCountsInstructionsOfEachRun() {
        LuaRunner lua = new LuaRunner();
        lua.values("local x = 0 for i = 1, 1000 do x = x + i end return x");
        long instructions = lua.sandbox.budget().instructions();
        assertTrue(instructions > 1000 && instructions < 10_000, String.valueOf(instructions));
    }
}
