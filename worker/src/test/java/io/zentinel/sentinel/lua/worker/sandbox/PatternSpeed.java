package io.zentinel.sentinel.lua.worker.sandbox;

import java.util.List;
import java.util.Locale;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import org.luaj.vm2.LuaTable;

/**
 * A quick comparison of the sandbox's pattern functions with LuaJ's on common script patterns,
 * run inside a sandboxed script (instruction hook and budget included), and the time a
 * catastrophic pattern takes to hit the limits. Not a test: run it by hand, e.g.
 * {@code java -cp worker/target/classes:worker/target/test-classes:<luaj>:<protocol> \
 * io.zentinel.sentinel.lua.worker.sandbox.PatternSpeed}.
 */
public final class PatternSpeed {
    private PatternSpeed() {
    }

    /** Name, setup (defines {@code s}), the call with {@code F} as the library, calls per run. */
    private record Case(String name, String setup, String call, int calls) {
    }

    private static final List<Case> CASES = List.of(
            new Case("find plain word in 1 KiB", "local s = ('lorem ipsum dolor '):rep(60) .. 'needle'",
                    "F.find(s, 'needle')", 20_000),
            new Case("find %d%d%d%d-%d%d in 1 KiB (no match)", "local s = ('lorem ipsum dolor '):rep(60)",
                    "F.find(s, '%d%d%d%d%-%d%d')", 20_000),
            new Case("match trim ^%s*(.-)%s*$", "local s = '   some header value with spaces   '",
                    "F.match(s, '^%s*(.-)%s*$')", 200_000),
            new Case("match (%w+)=(%w+)", "local s = 'session=abc123def'", "F.match(s, '(%w+)=(%w+)')", 200_000),
            new Case("match IPv4 ^(%d+)%.(%d+)%.(%d+)%.(%d+)$", "local s = '192.168.100.254'",
                    "F.match(s, '^(%d+)%.(%d+)%.(%d+)%.(%d+)$')", 200_000),
            new Case("match ^Bearer%s+(.+)$", "local s = 'Bearer ' .. ('abcdefghij'):rep(20)",
                    "F.match(s, '^Bearer%s+(.+)$')", 200_000),
            new Case("find [<>\"'] in 1 KiB (no match)", "local s = ('plain text, nothing to escape '):rep(35)",
                    "F.find(s, '[<>\"\\']')", 20_000),
            new Case("gsub %s+ -> ' ' on 4 KiB", "local s = ('word  word\\t\\tword\\n'):rep(240)",
                    "F.gsub(s, '%s+', ' ')", 2_000),
            new Case("gsub [<>&] with a table on 1 KiB",
                    "local s = ('<a href=\"x\">A & B</a> '):rep(40) local esc = {['<'] = '&lt;', ['>'] = '&gt;', ['&'] = '&amp;'}",
                    "F.gsub(s, '[<>&]', esc)", 5_000),
            new Case("gmatch [^,]+ over 30 fields", "local s = ('field,'):rep(30)",
                    "for w in F.gmatch(s, '[^,]+') do end", 20_000),
            new Case("gmatch (%w+)=(%w+) over a query of 10", "local s = ('key=value&'):rep(10)",
                    "for k, v in F.gmatch(s, '(%w+)=(%w+)') do end", 20_000));

    public static void main(String[] args) {
        LuaTable luaj = PatternCalls.luaj();
        LuaTable ours = PatternCalls.ours();
        RunLimits unlimited = RunLimits.defaults().withMaxInstructions(Long.MAX_VALUE / 2).withTimes(600_000, 600_000)
                .withMaxMemoryBytes(Long.MAX_VALUE / 2);
        LuaRunner runner = new LuaRunner(unlimited);
        System.out.printf(Locale.ROOT, "%-44s %12s %12s %8s%n", "case (median of 15 rounds)", "LuaJ ns/call", "ours ns/call", "ratio");
        for (Case c : CASES) {
            int rounds = 15;
            double[] luajNs = new double[rounds];
            double[] oursNs = new double[rounds];
            for (int round = 0; round < rounds + 3; round++) { // alternate; the first three rounds warm up
                double l = time(runner, c, luaj);
                double o = time(runner, c, ours);
                if (round >= 3) {
                    luajNs[round - 3] = l;
                    oursNs[round - 3] = o;
                }
            }
            java.util.Arrays.sort(luajNs);
            java.util.Arrays.sort(oursNs);
            double l = luajNs[rounds / 2];
            double o = oursNs[rounds / 2];
            System.out.printf(Locale.ROOT, "%-44s %12.0f %12.0f %8.2f%n", c.name(), l, o, o / l);
        }
        catastrophic();
    }

    private static double time(LuaRunner runner, Case c, LuaTable library) {
        LuaTable env = runner.sandbox.newScriptEnv();
        env.rawset("F", library);
        String source = c.setup() + " for i = 1, " + c.calls() + " do " + c.call() + " end";
        long start = System.nanoTime();
        RunOutcome outcome = runner.run(source, env);
        long elapsed = System.nanoTime() - start;
        if (outcome instanceof RunOutcome.Failed f) {
            throw new IllegalStateException(c.name() + ": " + f.message());
        }
        return (double) elapsed / c.calls();
    }

    private static void catastrophic() {
        String source = "return ('a'):rep(20000):find('.-.-.-b')";
        System.out.println();
        System.out.println("catastrophic: " + source);
        for (RunLimits limits : List.of(RunLimits.defaults(),
                RunLimits.defaults().withMaxInstructions(2_000_000).withTimes(2_000, 2_000),
                RunLimits.defaults().withMaxInstructions(1_000_000_000_000L).withTimes(300, 300))) {
            LuaRunner runner = new LuaRunner(limits);
            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                RunOutcome outcome = runner.run(source, runner.sandbox.newScriptEnv());
                long ms = (System.nanoTime() - start) / 1_000_000;
                String how = outcome instanceof RunOutcome.Failed f ? f.kind() + ": " + f.message() : "completed";
                System.out.printf(Locale.ROOT, "  max-instructions %,d, time %d ms: %d ms, %s%n",
                        limits.maxInstructions(), limits.scriptTimeoutMs(), ms, how);
                if (!(outcome instanceof RunOutcome.Failed f) || f.kind() == FailureKind.SCRIPT_ERROR) {
                    throw new IllegalStateException("not stopped by a limit");
                }
            }
        }
    }
}
