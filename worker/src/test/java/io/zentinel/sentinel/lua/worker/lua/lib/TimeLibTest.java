package io.zentinel.sentinel.lua.worker.lua.lib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

class TimeLibTest {

    private static final long NOW_MS = 1_709_876_543_210L; // 2024-03-08T05:42:23.210Z

    private final LuaHarness lua = new LuaHarness(TestGuard.lenient(), g -> g.load(new TimeLib(TestGuard.lenient(),
            Clock.fixed(Instant.ofEpochMilli(NOW_MS), ZoneOffset.UTC))));

    @Test
    void nowIsIntegerUnixSecondsAndNowMsIntegerMilliseconds() {
        assertEquals(1_709_876_543L, lua.eval("time.now()").tolong());
        assertEquals(NOW_MS, lua.eval("time.now_ms()").tolong());
        assertTrue(lua.eval("time.now() % 1 == 0 and time.now_ms() % 1 == 0").toboolean());
        assertEquals("1709876543", lua.text("tostring(time.now())"));
        assertEquals("1709876543210", lua.text("tostring(time.now_ms())"));
    }

    @Test
    void theSystemClockVersionIsCloseToTheJvmsClock() {
        LuaHarness real = new LuaHarness(TestGuard.lenient());
        long before = System.currentTimeMillis();
        long ms = real.eval("time.now_ms()").tolong();
        long s = real.eval("time.now()").tolong();
        long after = System.currentTimeMillis();
        assertTrue(ms >= before && ms <= after, ms + " not in [" + before + ", " + after + "]");
        assertTrue(s >= before / 1000 && s <= after / 1000);
    }

    @Test
    void formatsTheSeedReadmeExample() {
        assertEquals("2024-03-08", lua.text("time.format(time.now(), '%Y-%m-%d')"));
        assertEquals("2024-01-01", lua.text("time.format(1704067200, '%Y-%m-%d')"));
    }

    @Test
    void formatsEveryDirective() {
        // python: datetime.fromtimestamp(1709876543, timezone.utc).strftime(...)
        assertEquals("2024-03-08 05:42:23 24 Mar March Fri Friday 068 AM 05  8 03/08/24 2024-03-08 05:42:23",
                lua.text("time.format(1709876543, '%Y-%m-%d %H:%M:%S %y %b %B %a %A %j %p %I %e %D %F %T')"));
        assertEquals("2023-11-14 22:13:20 PM 10 Tue Tuesday 318 14 Nov",
                lua.text("time.format(1700000000, '%Y-%m-%d %H:%M:%S %p %I %a %A %j %e %h')"));
        assertEquals("UTC +0000 1700000000 100%", lua.text("time.format(1700000000, '%Z %z %s 100%%')"));
        assertEquals("12 AM", lua.text("time.format(0, '%I %p')"));
    }

    @Test
    void formatDefaultsToIso8601AndTheCurrentTime() {
        assertEquals("1970-01-01T00:00:00Z", lua.text("time.format(0)"));
        assertEquals("2024-03-08T05:42:23Z", lua.text("time.format()"));
        assertEquals("2024", lua.text("time.format(nil, '%Y')"));
    }

    @Test
    void formatFloorsFractionalAndHandlesNegativeTimestamps() {
        assertEquals("01", lua.text("time.format(1.9, '%S')"));
        assertEquals("1969-12-31 23:59:59 365", lua.text("time.format(-0.5, '%F %T %j')"));
        assertEquals("1969-12-31 23:59:59", lua.text("time.format(-1, '%F %T')"));
        assertEquals("9999-12-31 23:59:59", lua.text("time.format(253402300799, '%F %T')"));
        assertEquals("0000-01-01", lua.text("time.format(-62167219200, '%F')"));
    }

    @Test
    void formatRejectsUnknownDirectivesAndOutOfRangeTimestamps() {
        assertEquals("time.format: unknown conversion '%Q' in the format", lua.error("time.format(0, '%Y %Q')"));
        assertEquals("time.format: the format ends with a lone '%'", lua.error("time.format(0, '%Y %')"));
        assertEquals("time.format: timestamp (253402300800) is out of range (years 0000 to 9999)",
                lua.error("time.format(253402300800, '%Y')"));
        assertEquals("time.format: timestamp (nan) is out of range (years 0000 to 9999)", lua.error("time.format(0/0)"));
        assertEquals("time.format: timestamp (1.0e300) is out of range (years 0000 to 9999)", lua.error("time.format(1e300)"));
        assertEquals("time.format: timestamp (-inf) is out of range (years 0000 to 9999)", lua.error("time.format(-1/0)"));
        assertEquals("bad argument #1 to 'time.format' (number expected, got table)", lua.error("time.format({})"));
    }

    @Test
    void parsesTheSeedReadmeExample() {
        assertEquals(1_704_067_200L, lua.eval("time.parse('2024-01-01', '%Y-%m-%d')").tolong());
    }

    @Test
    void parsesCommonLogAndHttpDateFormats() {
        assertEquals(971_211_336L, lua.eval("time.parse('10/Oct/2000:13:55:36 -0700', '%d/%b/%Y:%H:%M:%S %z')").tolong());
        assertEquals(784_111_777L, lua.eval("time.parse('Sun, 06 Nov 1994 08:49:37 GMT', '%a, %d %b %Y %H:%M:%S %Z')").tolong());
        assertEquals(784_111_777L, lua.eval("time.parse('Sunday, 06 november 1994 08:49:37 GMT', '%A, %d %B %Y %T GMT')")
                .tolong());
        assertEquals(1_709_876_543L, lua.eval("time.parse('2024-03-08T05:42:23Z', '%Y-%m-%dT%H:%M:%SZ')").tolong());
    }

    @Test
    void parsesUtcOffsetsInEveryForm() {
        for (String offset : new String[] {"+0100", "+01:00", "+01"}) {
            assertEquals(1_704_067_200L, lua.eval("time.parse('2024-01-01T01:00:00" + offset + "', '%FT%T%z')").tolong(),
                    offset);
        }
        assertEquals(1_704_067_200L, lua.eval("time.parse('2023-12-31T19:30:00-04:30', '%FT%T%z')").tolong());
        assertEquals(1_704_067_200L, lua.eval("time.parse('2024-01-01T00:00:00Z', '%FT%T%z')").tolong());
    }

    @Test
    void parsesTwelveHourClockDayOfYearEpochAndTwoDigitYears() {
        assertEquals(48_600L, lua.eval("time.parse('01:30 PM', '%I:%M %p')").tolong());
        assertEquals(0L, lua.eval("time.parse('12:00 am', '%I:%M %p')").tolong());
        assertEquals(43_200L, lua.eval("time.parse('12:00 PM', '%I:%M %p')").tolong());
        assertEquals(1_709_164_800L, lua.eval("time.parse('2024-060', '%Y-%j')").tolong());
        assertEquals(1_700_000_000L, lua.eval("time.parse('1700000000', '%s')").tolong());
        assertEquals(-5L, lua.eval("time.parse('-5', '%s')").tolong());
        assertEquals(1_704_067_200L, lua.eval("time.parse('24-01-01', '%y-%m-%d')").tolong());
        assertEquals(-31_536_000L, lua.eval("time.parse('69-01-01', '%y-%m-%d')").tolong());
        assertEquals(1_704_067_200L, lua.eval("time.parse('01/01/24', '%D')").tolong());
        assertEquals(1_704_067_200L, lua.eval("time.parse(' 1 Jan 2024', '%e %b %Y')").tolong());
    }

    @Test
    void parsesCompactFormatsAndFlexibleWhitespace() {
        assertEquals(1_704_067_200L, lua.eval("time.parse('20240101', '%Y%m%d')").tolong());
        assertEquals(1_704_067_200L + 36_000, lua.eval("time.parse('2024-1-1   10:00', '%Y-%m-%d %H:%M')").tolong());
        assertEquals(1_704_067_200L, lua.eval("time.parse('2024-01-01', '%Y-%m-%d ')").tolong());
    }

    @Test
    void aLeapSecondCountsAsTheNextMinutesFirstSecond() {
        assertEquals(1_704_067_200L, lua.eval("time.parse('2023-12-31 23:59:60', '%F %T')").tolong());
    }

    @Test
    void inputThatDoesNotFitReturnsNilAndAReason() {
        assertMismatch("time.parse: month (13) out of range (1 to 12)", "time.parse('2024-13-01', '%Y-%m-%d')");
        assertMismatch("time.parse: day (30) out of range (1 to 29)", "time.parse('2024-02-30', '%Y-%m-%d')");
        assertMismatch("time.parse: expected '-' at position 5", "time.parse('2024/01/01', '%Y-%m-%d')");
        assertMismatch("time.parse: unexpected text at position 11", "time.parse('2024-01-01x', '%Y-%m-%d')");
        assertMismatch("time.parse: expected 4 digits for %Y at position 1", "time.parse('24-01-01', '%Y-%m-%d')");
        assertMismatch("time.parse: expected 4 digits for %Y at position 1", "time.parse('', '%Y')");
        assertMismatch("time.parse: hour (24) out of range (0 to 23)", "time.parse('24:00', '%H:%M')");
        assertMismatch("time.parse: hour (13) out of range for %I (1 to 12)", "time.parse('13 PM', '%I %p')");
        assertMismatch("time.parse: expected a name for %b at position 4", "time.parse('01 Foo 2024', '%d %b %Y')");
        assertMismatch("time.parse: expected '+', '-' or 'Z' for %z at position 1", "time.parse('0100', '%z')");
        assertMismatch("time.parse: day of year (366) out of range (1 to 365)", "time.parse('2023-366', '%Y-%j')");
        assertMismatch("time.parse: day of year (60) does not agree with the month and day",
                "time.parse('2024-060-03-01', '%Y-%j-%m-%d')");
    }

    @Test
    void parseRejectsUnknownDirectivesAsErrors() {
        assertEquals("time.parse: unknown conversion '%Q' in the format", lua.error("time.parse('x', 'x%Q')"));
        // even when the input would not fit an earlier part of the format
        assertEquals("time.parse: unknown conversion '%Q' in the format", lua.error("time.parse('x', 'y%Q')"));
        assertEquals("bad argument #2 to 'time.parse' (string expected, got no value)", lua.error("time.parse('x')"));
    }

    @Test
    void formatAndParseRoundTrip() {
        for (long ts : new long[] {0, 1, -1, 951_782_400L /* 2000-02-29 */, 1_709_876_543L, 253_402_300_799L,
            -62_167_219_200L}) {
            assertEquals(ts, lua.eval("time.parse(time.format(" + ts + ", '%FT%T%z'), '%FT%T%z')").tolong(), "ts " + ts);
            assertEquals(ts, lua.eval("time.parse(time.format(" + ts + ", '%s'), '%s')").tolong(), "ts " + ts);
        }
    }

    private void assertMismatch(String reason, String call) {
        Varargs r = lua.run("return " + call);
        assertEquals(LuaValue.NIL, r.arg1(), call);
        assertEquals(reason, LuaHarness.utf8(r.arg(2)), call);
    }
}
