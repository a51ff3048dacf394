package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Objects;
import java.util.Optional;

/**
 * A number, kept exactly as written: a {@link Long} for integers that fit, a {@link BigInteger}
 * for larger integers, a {@link BigDecimal} for anything with a fraction or an exponent (its
 * scale is kept, so {@code 1.0} stays {@code 1.0}), and a non-finite {@link Double} for the v2
 * keywords {@code #inf}, {@code #-inf} and {@code #nan}. The radix it was written in is not kept.
 */
public record KdlNumber(Number value, Optional<String> type) implements KdlValue {

    public KdlNumber {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(type, "type");
        value = normalize(value);
    }

    public static KdlNumber of(long value) {
        return new KdlNumber(value, Optional.empty());
    }

    public static KdlNumber of(BigInteger value) {
        return new KdlNumber(value, Optional.empty());
    }

    public static KdlNumber of(BigDecimal value) {
        return new KdlNumber(value, Optional.empty());
    }

    /** Whether this is an integer (written without a fraction or exponent). */
    public boolean isInteger() {
        return value instanceof Long || value instanceof BigInteger;
    }

    /** This integer as a {@code long}; throws {@link ArithmeticException} if it is not an integer or does not fit. */
    public long longValueExact() {
        return switch (value) {
            case Long l -> l;
            case BigInteger b -> b.longValueExact();
            default -> throw new ArithmeticException("not an integer: " + value);
        };
    }

    /** This number as a {@link BigDecimal}; throws {@link ArithmeticException} for infinities and NaN. */
    public BigDecimal bigDecimalValue() {
        return switch (value) {
            case Long l -> BigDecimal.valueOf(l);
            case BigInteger b -> new BigDecimal(b);
            case BigDecimal d -> d;
            default -> throw new ArithmeticException("not a finite number: " + value);
        };
    }

    // One representation per number keeps equals() meaningful: 5 is always a Long, never a BigInteger.
    private static Number normalize(Number value) {
        return switch (value) {
            case Long l -> l;
            case Integer i -> i.longValue();
            case Short s -> s.longValue();
            case Byte b -> b.longValue();
            case BigInteger b -> b.bitLength() < Long.SIZE ? (Number) b.longValue() : b;
            case BigDecimal d -> d;
            case Double d when d.isInfinite() || d.isNaN() -> d;
            case Double d -> BigDecimal.valueOf(d);
            case Float f when f.isInfinite() || f.isNaN() -> f.doubleValue();
            case Float f -> new BigDecimal(f.toString());
            default -> throw new IllegalArgumentException(
                    "unsupported number type " + value.getClass().getName() + " (was " + value + ")");
        };
    }
}
