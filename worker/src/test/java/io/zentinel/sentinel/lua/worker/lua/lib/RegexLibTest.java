package io.zentinel.sentinel.lua.worker.lua.lib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.worker.sandbox.BudgetExceededError;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

class RegexLibTest {

    private final LuaHarness lua = new LuaHarness(TestGuard.lenient());

    @Test
    void theSeedReadmeExamplesWork() {
        assertTrue(lua.eval("regex.match('^hello', 'hello world')").toboolean());
        assertEquals("42", lua.text("regex.find('\\\\d+', 'value: 42')"));
        assertEquals("1,2,3", lua.text("table.concat(regex.find_all('\\\\d+', '1 2 3'), ',')"));
        assertEquals("value: X", lua.text("regex.replace('\\\\d+', 'value: 42', 'X')"));
    }

    @Test
    void matchFindsAnywhereInTheSubject() {
        assertTrue(lua.eval("regex.match('world', 'hello world')").toboolean());
        assertFalse(lua.eval("regex.match('^world', 'hello world')").toboolean());
        assertTrue(lua.eval("regex.match('(?i)HELLO', 'hello')").toboolean());
        assertEquals("boolean", lua.text("type(regex.match('x', 'y'))"));
    }

    @Test
    void findReturnsTheMatchThenItsCaptureGroups() {
        Varargs r = lua.run("return regex.find('(\\\\w+)@(\\\\w+)?', 'mail me@ now')");
        assertEquals(3, r.narg());
        assertEquals("me@", LuaHarness.utf8(r.arg(1)));
        assertEquals("me", LuaHarness.utf8(r.arg(2)));
        assertEquals(LuaValue.NIL, r.arg(3));
        assertEquals(LuaValue.NIL, lua.eval("regex.find('z', 'abc')"));
        assertEquals(1, lua.run("return regex.find('z', 'abc')").narg());
    }

    @Test
    void findAllListsWholeMatchesIncludingEmptyOnes() {
        assertEquals(0, lua.eval("#regex.find_all('\\\\d', 'none')").toint());
        assertEquals("|aaa|", lua.text("table.concat(regex.find_all('a*', 'baaa'), '|')"));
        assertEquals("ab,cd", lua.text("table.concat(regex.find_all('(\\\\w)(\\\\w)', 'ab cd e'), ',')"));
    }

    @Test
    void findAllCountsMatchesAgainstTheTableLimit() {
        LuaHarness small = new LuaHarness(TestGuard.withLimits(1024, 3));
        assertEquals(3, small.eval("#regex.find_all('\\\\d', '123')").toint());
        var e = assertThrows(BudgetExceededError.class, () -> small.run("return pcall(regex.find_all, '\\\\d', '1234')"));
        assertEquals(FailureKind.TABLE_LIMIT, e.kind());
    }

    @Test
    void replaceInsertsNumberedAndNamedGroups() {
        assertEquals("b@a d@c", lua.text("regex.replace('(\\\\w+)@(\\\\w+)', 'a@b c@d', '$2@$1')"));
        assertEquals("me!x", lua.text("regex.replace('(?<user>\\\\w+)@', 'me@x', '${user}!')"));
        assertEquals("[a]1", lua.text("regex.replace('(a)', 'a', '[${1}]1')"));
        assertEquals("$5 and Y", lua.text("regex.replace('X', 'X and Y', '$$5')"));
        assertEquals("<>b", lua.text("regex.replace('(x)?a', 'ab', '<$1>')"));
    }

    @Test
    void replaceTreatsBackslashAndDollarDollarLiterally() {
        assertEquals("$", lua.text("regex.replace('a', 'a', '$$')"));
        assertEquals("\\1", lua.text("regex.replace('(a)', 'a', '\\\\1')"));
    }

    @Test
    void replaceRejectsBadGroupReferencesBeforeMatching() {
        assertEquals("regex.replace: the replacement refers to group 3, but the pattern has 2 groups",
                lua.error("regex.replace('(a)(b)', 'zzz', '$3')"));
        assertEquals("regex.replace: the replacement refers to group 'nope', which the pattern does not define",
                lua.error("regex.replace('a', 'a', '${nope}')"));
        assertEquals("regex.replace: invalid '$' at position 3 in the replacement (use $$ for a literal $)",
                lua.error("regex.replace('a', 'a', 'x $y')"));
        assertEquals("regex.replace: unclosed '${' at position 1 in the replacement",
                lua.error("regex.replace('a', 'a', '${1')"));
    }

    @Test
    void replaceChecksTheResultLength() {
        LuaHarness small = new LuaHarness(TestGuard.withLimits(100, 10_000));
        assertEquals(99, small.eval("#regex.replace('a', ('a'):rep(33), 'xxx')").toint());
        var e = assertThrows(BudgetExceededError.class,
                () -> small.run("return pcall(regex.replace, 'a', ('a'):rep(34), 'xxx')"));
        assertEquals(FailureKind.STRING_LIMIT, e.kind());
        // multi-byte characters are counted in bytes
        assertEquals(100, small.eval("#regex.replace('a', ('a'):rep(50), 'é')").toint());
        assertThrows(BudgetExceededError.class, () -> small.run("return pcall(regex.replace, 'a', ('a'):rep(51), 'é')"));
    }

    @Test
    void patternsAndSubjectsAreUnicodeText() {
        assertEquals("éé", lua.text("regex.find('é+', 'caféé')"));
        assertEquals("a|😀|b", lua.text("table.concat(regex.find_all('.', 'a😀b'), '|')"));
        assertEquals("x😀x", lua.text("regex.replace('\\\\p{Sc}', 'x€x', '😀')"));
        assertEquals("regex.match: subject is not valid UTF-8", lua.error("regex.match('a', 'a\\255')"));
        assertEquals("regex.find: pattern is not valid UTF-8", lua.error("regex.find('\\255', 'a')"));
    }

    @Test
    void invalidPatternsAreLuaErrors() {
        assertEquals("regex.match: invalid pattern: Dangling meta character '*' near index 0", lua.error("regex.match('*', 'a')"));
        assertEquals("regex.find_all: invalid pattern: Unclosed group near index 2", lua.error("regex.find_all('(a', 'a')"));
        assertEquals("bad argument #2 to 'regex.match' (string expected, got nil)", lua.error("regex.match('a', nil)"));
    }

    @Test
    void patternsLongerThanTheCapAreRejected() {
        LuaHarness capped = new LuaHarness(TestGuard.lenient(), g -> g.load(new RegexLib(TestGuard.lenient(), 256, 10)));
        assertTrue(capped.eval("regex.match(('a'):rep(10), ('a'):rep(10))").toboolean());
        assertEquals("regex.match: pattern length (11) exceeds the maximum allowed (10)",
                capped.error("regex.match(('a'):rep(11), 'a')"));
    }

    @Test
    void theCompiledPatternCacheIsBoundedLeastRecentlyUsedFirst() {
        RegexLib lib = new RegexLib(TestGuard.lenient(), 2, RegexLib.DEFAULT_MAX_PATTERN_LENGTH);
        LuaHarness cached = new LuaHarness(TestGuard.lenient(), g -> g.load(lib));
        cached.run("regex.match('a', 'a') regex.match('b', 'b') regex.match('a', 'a')");
        assertEquals(2, lib.cachedPatterns());
        cached.run("regex.match('c', 'c') regex.match('d', 'd') regex.match('e', 'e')");
        assertEquals(2, lib.cachedPatterns());
        assertTrue(cached.eval("regex.match('a', 'xa')").toboolean());
    }

    @Test
    void theBriefsBacktrackingExampleFinishesQuicklyOnThisJdk() {
        // JDK 9+ memoizes greedy loops over deterministic groups, so this classic blow-up is linear here
        LuaHarness guarded = new LuaHarness(TestGuard.withDeadline(Duration.ofSeconds(5)));
        assertFalse(assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> guarded.eval("regex.match('(a+)+$', ('a'):rep(40) .. '!')").toboolean()));
    }

    @Test
    void catastrophicBacktrackingEndsWithTheGuardsTimeLimit() {
        // a back-reference defeats the JDK's memoization: this needs about 2^40 steps
        for (String pattern : new String[] {"(a+)+\\\\1b", "((a+)*)+b"}) {
            LuaHarness guarded = new LuaHarness(TestGuard.withDeadline(Duration.ofMillis(200)));
            var e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(BudgetExceededError.class,
                    () -> guarded.run("return pcall(regex.match, '" + pattern + "', ('a'):rep(40) .. '!')")));
            assertEquals(FailureKind.TIME_LIMIT, e.kind(), pattern);
            assertTrue(e.getMessage().startsWith("execution time in ms ("), e.getMessage());
        }
    }

    @Test
    void aStackOverflowInTheRegexEngineIsAnOrdinaryLuaError() throws Exception {
        // on a thread with the worker's stack size (-Xss512k), as Lua runs there
        String[] results = new String[3];
        Thread t = new Thread(null, () -> {
            results[0] = lua.error("regex.match('^(a|b)*c', ('ab'):rep(20000))");
            // the VM and the module keep working afterwards
            results[1] = lua.eval("regex.match('^[ab]*c', ('ab'):rep(20000))").tojstring();
            results[2] = lua.eval("regex.match('(a|b)*c', 'abc')").tojstring();
        }, "small-stack", 512 * 1024);
        t.start();
        t.join(Duration.ofSeconds(30));
        assertEquals("regex.match: the pattern needs more stack than is available for this subject"
                + " (java.util.regex recurses once per repetition of a group with alternatives;"
                + " prefer a character class such as [ab]* to (a|b)*)", results[0]);
        assertEquals("false", results[1]);
        assertEquals("true", results[2]);
    }

    @Test
    void longFindAllLoopsAlsoCheckTheDeadline() {
        LuaHarness late = new LuaHarness(TestGuard.withDeadline(Duration.ZERO));
        assertThrows(BudgetExceededError.class, () -> late.run("return pcall(regex.find_all, 'b', ('a'):rep(5000))"));
    }
}
