package io.zentinel.sentinel.lua.supervisor.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written with a unit, {@code "250ms"}, {@code "5s"}, {@code "10m"}, {@code "1h"}: the
 * form accepted for every duration key besides a bare number in the key's own unit, and the form
 * in which error messages print durations.
 */
final class DurationText {

    /** How the accepted forms are described in messages and documentation. */
    static final String EXAMPLES = "\"250ms\", \"5s\", \"10m\" or \"1h\"";

    private static final Pattern TEXT = Pattern.compile("([0-9]+)(ms|s|m|h)");

    private DurationText() {
    }

    /**
     * The duration {@code text} denotes, or empty if it is not a whole number followed by one of
     * the units {@code ms}, {@code s}, {@code m}, {@code h}.
     *
     * @throws ArithmeticException if the number is too large for a duration
     */
    static Optional<Duration> parse(String text) {
        Matcher matcher = TEXT.matcher(text);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        long amount;
        try {
            amount = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            throw new ArithmeticException("too large: " + text);
        }
        ChronoUnit unit = switch (matcher.group(2)) {
            case "ms" -> ChronoUnit.MILLIS;
            case "s" -> ChronoUnit.SECONDS;
            case "m" -> ChronoUnit.MINUTES;
            default -> ChronoUnit.HOURS;
        };
        return Optional.of(Duration.of(amount, unit));
    }

    /**
     * {@code duration} in the largest unit that expresses it exactly ({@code 90s} stays
     * {@code 90s}, {@code 120s} becomes {@code 2m}); zero prints as {@code 0s}. Durations finer
     * than a millisecond, which the loader never produces, print in ISO-8601.
     */
    static String format(Duration duration) {
        long seconds = duration.getSeconds();
        int nanos = duration.getNano();
        if (nanos == 0) {
            if (seconds != 0 && seconds % 3600 == 0) {
                return seconds / 3600 + "h";
            } else if (seconds != 0 && seconds % 60 == 0) {
                return seconds / 60 + "m";
            }
            return seconds + "s";
        }
        if (nanos % 1_000_000 == 0) {
            try {
                return Math.addExact(Math.multiplyExact(seconds, 1000L), nanos / 1_000_000) + "ms";
            } catch (ArithmeticException e) {
                return duration.toString();
            }
        }
        return duration.toString();
    }
}
