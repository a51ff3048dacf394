package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.protocol.v1.LimitHit;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every failure reaches a WARN line, in full or counted; repeats of a (script, cause) pair collapse. */
class FailureLogTest {
    private static final LimitHit INSTRUCTIONS = LimitHit.newBuilder().setKey("resource-limits.max-instructions")
            .setMaximum(10_000_000).setMeasured(10_000_391).setUnit("instructions").build();

    private final AtomicLong clock = new AtomicLong(42);
    private final CapturingLogger logger = new CapturingLogger("dispatcher");
    private final FailureLog log = new FailureLog(logger, clock::get);

    private static FailureLog.Hit limit(String id, String script) {
        return new FailureLog.Hit(id, FailureCause.INSTRUCTION_LIMIT, script, INSTRUCTIONS, 153_400,
                "instructions (10000391) exceeds the maximum allowed (10000000, from 'resource-limits.max-instructions')",
                true);
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    private List<String> warnings() {
        return logger.lines.stream().filter(l -> l.startsWith("WARN ")).toList();
    }

    @Test
    void aLimitHitIsLoggedAtWarnWithTheScriptTheLimitAndItsFigures() {
        log.record(limit("req-42", "auth-check"));
        assertEquals(List.of("WARN script auth-check - hit resource-limits.max-instructions (10,000,000 instructions; "
                + "reached 10,000,391) after 153 ms, answered fail-open (lua-agent:instruction-limit, event req-42)"),
                logger.lines);
    }

    @Test
    void aScriptErrorIsLoggedWithItsMessage() {
        log.record(new FailureLog.Hit("req-43", FailureCause.SCRIPT_ERROR, "auth-check", null, 2_000,
                "auth.lua:3: boom", false));
        assertEquals(List.of("WARN script auth-check - script-error after 2.0 ms: auth.lua:3: boom, answered fail-closed "
                + "(event req-43)"), logger.lines);
    }

    @Test
    void aFailureNoScriptIsToBlameForIsLoggedByTheDispatcher() {
        log.record(new FailureLog.Hit("req-44", FailureCause.OVERLOADED, null, null, 0,
                "safety.max-concurrent (64) events in flight", true));
        assertEquals(List.of("WARN dispatcher - overloaded: safety.max-concurrent (64) events in flight, answered "
                + "fail-open (event req-44)"), logger.lines);
    }

    @Test
    void repeatsWithinTheWindowAreCountedAndReportedWhenTheWindowEnds() {
        log.record(limit("req-1", "auth-check"));
        for (int i = 2; i <= 5; i++) {
            advance(Duration.ofSeconds(2));
            log.record(limit("req-" + i, "auth-check"));
        }
        assertEquals(1, warnings().size(), logger.lines.toString());
        assertEquals(4, logger.lines.stream().filter(l -> l.startsWith("DEBUG script auth-check - hit ")).count());
        log.flush(); // 8 s: the window is still open
        assertEquals(1, warnings().size());

        advance(Duration.ofSeconds(2));
        log.flush();
        assertEquals("WARN script auth-check - hit resource-limits.max-instructions (10,000,000 instructions) 4 more "
                + "times in the last 10.0 s, answered fail-open (lua-agent:instruction-limit; the last: reached "
                + "10,000,391 after 153 ms, event req-5)", warnings().get(1));
    }

    @Test
    void theNextHitAfterTheWindowReportsTheCountBeforeItsOwnLine() {
        log.record(limit("req-1", "auth-check"));
        log.record(limit("req-2", "auth-check"));
        advance(Duration.ofSeconds(11));
        log.record(limit("req-3", "auth-check"));
        List<String> warnings = warnings();
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(1).contains(" 1 more time in the last 11.0 s, "), warnings.get(1));
        assertTrue(warnings.get(2).contains("event req-3)"), warnings.get(2));
    }

    @Test
    void aSteadyFloodLogsAboutOneLinePerWindowAndEveryHitIsReported() {
        int hits = 0;
        for (int ms = 0; ms < 35_000; ms++) {
            log.record(limit("req-" + ms, "auth-check"));
            hits++;
            advance(Duration.ofMillis(1));
            if (ms % 1000 == 999) {
                log.flush();
            }
        }
        advance(Duration.ofSeconds(10));
        log.flush();
        List<String> warnings = warnings();
        assertTrue(warnings.size() <= 5, warnings.size() + " lines: " + warnings);
        long reported = 0;
        Pattern more = Pattern.compile(" ([\\d,]+) more times? in the last ");
        for (String line : warnings) {
            Matcher m = more.matcher(line);
            reported += m.find() ? Long.parseLong(m.group(1).replace(",", "")) : 1;
        }
        assertEquals(hits, reported, warnings.toString());
    }

    @Test
    void scriptsAndCausesAreCollapsedSeparately() {
        log.record(limit("req-1", "auth-check"));
        log.record(limit("req-2", "rate-limit"));
        log.record(new FailureLog.Hit("req-3", FailureCause.SCRIPT_ERROR, "auth-check", null, 0, "boom", true));
        log.record(limit("req-4", "auth-check"));
        assertEquals(3, warnings().size(), logger.lines.toString());
        assertEquals(3, log.pairs());
    }

    @Test
    void aPairQuietForAWholeWindowIsForgottenAndLoggedInFullAgain() {
        log.record(limit("req-1", "auth-check"));
        advance(Duration.ofSeconds(10));
        log.flush();
        assertEquals(0, log.pairs());
        log.record(limit("req-2", "auth-check"));
        assertEquals(2, warnings().size());
        assertTrue(warnings().get(1).contains("event req-2)"));
    }

    @Test
    void theNumberOfPairsIsBounded() {
        for (int i = 0; i < FailureLog.MAX_PAIRS + 500; i++) {
            log.record(limit("req-" + i, "script-" + i));
        }
        assertEquals(FailureLog.MAX_PAIRS + 1, log.pairs());
        // the first folded hit is logged in full, under its own name; the others are counted under (other)
        assertEquals(FailureLog.MAX_PAIRS + 1, warnings().size());
        assertTrue(warnings().getLast().startsWith("WARN script script-" + FailureLog.MAX_PAIRS + " - hit"),
                warnings().getLast());
        advance(Duration.ofSeconds(10));
        log.flush();
        assertTrue(warnings().getLast().startsWith("WARN script (other) - hit resource-limits.max-instructions "
                + "(10,000,000 instructions) 499 more times in the last 10.0 s"), warnings().getLast());
    }
}
