package io.zentinel.sentinel.lua.supervisor.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code "250ms"}, {@code "5s"}, {@code "10m"}, {@code "1h"} duration form. */
class ConfigDurationTest {

    @Test
    void parsesAWholeNumberWithEachUnit() {
        assertEquals(Optional.of(Duration.ofMillis(250)), DurationText.parse("250ms"));
        assertEquals(Optional.of(Duration.ofSeconds(5)), DurationText.parse("5s"));
        assertEquals(Optional.of(Duration.ofMinutes(10)), DurationText.parse("10m"));
        assertEquals(Optional.of(Duration.ofHours(1)), DurationText.parse("1h"));
        assertEquals(Optional.of(Duration.ZERO), DurationText.parse("0s"));
    }

    @Test
    void rejectsEveryOtherForm() {
        for (String text : new String[] {"", "5", "s", "5 s", "5S", "1.5s", "-5s", "+5s", "5sec", "1d", "PT5S", " 5s"}) {
            assertEquals(Optional.empty(), DurationText.parse(text), text);
        }
    }

    @Test
    void aNumberTooLargeForADurationIsAnArithmeticError() {
        assertThrows(ArithmeticException.class, () -> DurationText.parse("99999999999999999999ms"));
        assertThrows(ArithmeticException.class, () -> DurationText.parse("9223372036854775807h"));
    }

    @Test
    void formatsInTheLargestExactUnit() {
        assertEquals("0s", DurationText.format(Duration.ZERO));
        assertEquals("250ms", DurationText.format(Duration.ofMillis(250)));
        assertEquals("1500ms", DurationText.format(Duration.ofMillis(1500)));
        assertEquals("90s", DurationText.format(Duration.ofSeconds(90)));
        assertEquals("2m", DurationText.format(Duration.ofSeconds(120)));
        assertEquals("1h", DurationText.format(Duration.ofMinutes(60)));
        assertEquals("168h", DurationText.format(Duration.ofDays(7)));
        assertEquals("-1ms", DurationText.format(Duration.ofMillis(-1)));
        assertEquals("PT0.0000005S", DurationText.format(Duration.ofNanos(500)));
    }
}
