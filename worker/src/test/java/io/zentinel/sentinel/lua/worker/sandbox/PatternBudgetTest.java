package io.zentinel.sentinel.lua.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import org.junit.jupiter.api.Test;

/**
 * Lua patterns that backtrack without end are stopped by the run's instruction and time limits,
 * in the script's own VM, and {@code pcall} cannot catch that; ordinary matching is charged a
 * fraction of an instruction per step and stays far below the limits.
 */
class PatternBudgetTest {
    /** Catastrophic backtracking, each far beyond any limit (the first alone is about 1.3e12 steps). */
    private static final List<String> CATASTROPHIC = List.of(
            "return ('a'):rep(20000):find('.-.-.-b')",
            "return ('a'):rep(5000):find(('a*'):rep(30) .. 'b')",
            "return ('a'):rep(5000):match('(.-)(.-)(.-)(.-)b')",
            "return ('a'):rep(5000):match(('a?'):rep(60) .. ('a'):rep(60) .. 'b')",
            "for m in ('a'):rep(20000):gmatch('.-.-.-b') do end",
            "return ('a'):rep(20000):gsub('.-.-.-b', 'x')",
            // plain search, quadratic: every position compares half a million bytes
            "return ('a'):rep(1000000):find(('a'):rep(500000) .. 'b', 1, true)");

    @Test
    void catastrophicPatternsEndWithTheInstructionLimit() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxInstructions(2_000_000).withTimes(10_000, 10_000));
        for (String source : CATASTROPHIC) {
            long start = System.nanoTime();
            String message = lua.failure(FailureKind.INSTRUCTION_LIMIT, source);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(Pattern.matches("instructions \\(\\d+\\) exceeds the maximum allowed \\(2000000, from "
                    + "'resource-limits.max-instructions'\\)", message), message);
            assertTrue(ms < 5_000, source + " took " + ms + " ms");
        }
    }

    @Test
    void catastrophicPatternsEndWithTheTimeLimitWhenInstructionsAreUnlimited() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxInstructions(Long.MAX_VALUE / 2).withTimes(10_000, 200));
        for (String source : CATASTROPHIC) {
            long start = System.nanoTime();
            String message = lua.failure(FailureKind.TIME_LIMIT, source);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(Pattern.matches("script execution time in ms \\(\\d+\\) exceeds the maximum allowed "
                    + "\\(200, from 'scripts.timeout'\\)", message), message);
            // the deadline is checked every 4,096 matching steps, a few microseconds apart; the
            // margin is for a loaded machine (each pattern alone would take hours or more)
            assertTrue(ms >= 200 && ms < 2_000, source + " took " + ms + " ms");
        }
    }

    @Test
    void pcallCannotCatchAPatternThatHitALimit() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxInstructions(2_000_000).withTimes(10_000, 10_000));
        lua.failure(FailureKind.INSTRUCTION_LIMIT,
                "local ok = pcall(string.find, ('a'):rep(20000), '.-.-.-b') return 'escaped'");
        lua.failure(FailureKind.INSTRUCTION_LIMIT,
                "local ok = pcall(function() return ('a'):rep(20000):match('(.-)(.-)(.-)b') end) "
                        + "local x = 0 for i = 1, 10 do x = x + i end return x");
        lua.failure(FailureKind.INSTRUCTION_LIMIT, "local co = coroutine.wrap(function() "
                + "return ('a'):rep(20000):find('.-.-.-b') end) pcall(co) return 'escaped'");
    }

    @Test
    void theVmMatchesNormallyAfterAPatternHitTheLimit() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxInstructions(2_000_000).withTimes(10_000, 10_000));
        lua.failure(FailureKind.INSTRUCTION_LIMIT, "return ('a'):rep(20000):find('.-.-.-b')");
        assertEquals("k|v", lua.text("local k, v = ('k=v'):match('(%w+)=(%w+)') return k .. '|' .. v"));
        assertTrue(lua.sandbox.budget().instructions() < 100, "instructions: " + lua.sandbox.budget().instructions());
    }

    @Test
    void matchingIsChargedAQuarterInstructionPerStep() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withTimes(10_000, 10_000));
        // a million characters, each one step of the set item plus one of the loop: about 2 million steps
        RunOutcome outcome = lua.run("local s = ('ab '):rep(333334) local r, n = s:gsub('[ab]', 'x') return n");
        RunOutcome.Completed done = assertInstanceOf(RunOutcome.Completed.class, outcome, outcome::toString);
        assertEquals(666668, done.values().arg1().toint());
        long instructions = done.instructions();
        assertTrue(instructions > 250_000 && instructions < 1_500_000, "instructions: " + instructions);
    }

    @Test
    void aPatternTooComplexIsACatchableLuaError() {
        LuaRunner lua = new LuaRunner();
        assertEquals("false|pattern too complex", lua.text("local ok, e = pcall(string.match, ('a'):rep(300), "
                + "('a?'):rep(300)) return tostring(ok) .. '|' .. e"));
    }
}
