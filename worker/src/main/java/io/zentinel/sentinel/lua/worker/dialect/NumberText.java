package io.zentinel.sentinel.lua.worker.dialect;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Numbers as C's {@code printf} writes them, which is what Lua 5.4's {@code string.format}
 * hands them to: integers ({@code d i u o x X}) as 64-bit values, floats ({@code f e E g G})
 * rounded half-even from their exact binary value, and hexadecimal floats ({@code a A}) as glibc
 * writes them ({@code 0x1.8p+1}).
 */
final class NumberText {
    private static final long FRACTION_MASK = (1L << 52) - 1;

    private NumberText() {
    }

    /** {@code %d %i %u %o %x %X} of {@code n}. */
    static String integer(FormatSpec spec, long n) {
        char c = spec.conversion();
        String digits = switch (c) {
            case 'o' -> Long.toOctalString(n);
            case 'x' -> Long.toHexString(n);
            case 'X' -> Long.toHexString(n).toUpperCase(java.util.Locale.ROOT);
            case 'u' -> Long.toUnsignedString(n);
            default -> n == Long.MIN_VALUE ? "9223372036854775808" : Long.toString(Math.abs(n));
        };
        if (spec.precision() == 0 && n == 0) {
            digits = "";
        } else if (digits.length() < spec.precision()) {
            digits = "0".repeat(spec.precision() - digits.length()) + digits;
        }
        String prefix = "";
        if (c == 'd' || c == 'i') {
            prefix = n < 0 ? "-" : spec.has('+') ? "+" : spec.has(' ') ? " " : "";
        } else if (spec.has('#')) {
            if (c == 'o' && !digits.startsWith("0")) {
                digits = "0" + digits;
            } else if ((c == 'x' || c == 'X') && n != 0) {
                prefix = c == 'x' ? "0x" : "0X";
            }
        }
        return spec.pad(prefix + digits, prefix.length(), spec.has('0') && spec.precision() < 0);
    }

    /** {@code %f %e %E %g %G} of {@code d}. */
    static String decimal(FormatSpec spec, double d) {
        char c = spec.conversion();
        boolean upper = Character.isUpperCase(c);
        String sign = Math.copySign(1.0, d) < 0 && !Double.isNaN(d) ? "-" : spec.has('+') ? "+"
                : spec.has(' ') ? " " : "";
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            String text = Double.isNaN(d) ? "nan" : "inf";
            return spec.pad(sign + (upper ? text.toUpperCase(java.util.Locale.ROOT) : text), sign.length(), false);
        }
        double a = Math.abs(d);
        int precision = spec.precision() < 0 ? 6 : spec.precision();
        boolean alternate = spec.has('#');
        String body = switch (Character.toLowerCase(c)) {
            case 'f' -> fixed(a, precision, alternate);
            case 'e' -> exponential(a == 0 ? BigDecimal.ZERO : significantDigits(a, precision + 1), precision,
                    alternate);
            default -> general(a, precision == 0 ? 1 : precision, alternate);
        };
        if (upper) {
            body = body.toUpperCase(java.util.Locale.ROOT);
        }
        return spec.pad(sign + body, sign.length(), spec.has('0'));
    }

    private static String fixed(double a, int precision, boolean alternate) {
        String text = decimalPlaces(a, precision).toPlainString();
        return precision == 0 && alternate ? text + "." : text;
    }

    /*
     * Rounding the exact binary value of a double takes a BigDecimal of up to ~1,100 digits. The
     * shortest decimal that reads back as the double (BigDecimal.valueOf) rounds the same way
     * whenever the double's ulp is below half a unit of the rounding position, unless it lies
     * exactly on a tie ("2.675" for a double just below 2.675): any boundary between the two
     * would itself be a shorter (or equally short and closer) decimal that reads back as the
     * double. So the short decimal is used when that holds and no tie is in sight.
     */

    /** {@code a >= 0} rounded half-even to {@code places} decimal places, from its exact value. */
    private static BigDecimal decimalPlaces(double a, int places) {
        if (places <= 17 && Math.ulp(a) * 2 < Math.pow(10, -places)) {
            BigDecimal shortest = BigDecimal.valueOf(a);
            BigDecimal up = shortest.setScale(places, RoundingMode.HALF_UP);
            if (up.equals(shortest.setScale(places, RoundingMode.HALF_DOWN))) {
                return up;
            }
        }
        return new BigDecimal(a).setScale(places, RoundingMode.HALF_EVEN);
    }

    /** {@code a > 0} rounded half-even to {@code digits} significant digits, from its exact value. */
    private static BigDecimal significantDigits(double a, int digits) {
        if (digits <= 15 && a >= Double.MIN_NORMAL) {
            BigDecimal shortest = BigDecimal.valueOf(a);
            BigDecimal up = shortest.round(new MathContext(digits, RoundingMode.HALF_UP));
            if (up.equals(shortest.round(new MathContext(digits, RoundingMode.HALF_DOWN)))) {
                return up;
            }
        }
        return new BigDecimal(a).round(new MathContext(digits, RoundingMode.HALF_EVEN));
    }

    /** {@code rounded} (at most {@code precision + 1} significant digits) as {@code d.ddde+XX}. */
    private static String exponential(BigDecimal rounded, int precision, boolean alternate) {
        String digits;
        int exponent;
        if (rounded.signum() == 0) {
            digits = "0".repeat(precision + 1);
            exponent = 0;
        } else {
            digits = rounded.unscaledValue().toString();
            exponent = exponentOf(rounded);
            digits = digits.length() > precision + 1 ? digits.substring(0, precision + 1)
                    : digits + "0".repeat(precision + 1 - digits.length());
        }
        StringBuilder s = new StringBuilder(precision + 8).append(digits.charAt(0));
        if (precision > 0 || alternate) {
            s.append('.').append(digits, 1, digits.length());
        }
        s.append('e').append(exponent < 0 ? '-' : '+');
        int e = Math.abs(exponent);
        if (e < 10) {
            s.append('0');
        }
        return s.append(e).toString();
    }

    private static int exponentOf(BigDecimal nonZero) {
        return nonZero.precision() - nonZero.scale() - 1;
    }

    /** C's {@code %g}: {@code %e} or {@code %f} by the exponent, without trailing zeros unless {@code #}. */
    private static String general(double a, int precision, boolean alternate) {
        BigDecimal rounded = a == 0 ? BigDecimal.ZERO : significantDigits(a, precision);
        int exponent = a == 0 ? 0 : exponentOf(rounded);
        String text;
        if (precision > exponent && exponent >= -4) {
            int places = precision - 1 - exponent;
            text = rounded.setScale(places, RoundingMode.HALF_EVEN).toPlainString(); // exact: no digit is lost
            if (places == 0 && alternate) {
                text += ".";
            }
        } else {
            text = exponential(rounded, precision - 1, alternate);
        }
        return alternate ? text : withoutTrailingZeros(text);
    }

    /** The text without the zeros that end its fraction (and without the point if nothing is left). */
    private static String withoutTrailingZeros(String text) {
        int e = text.indexOf('e');
        int end = e < 0 ? text.length() : e;
        if (text.lastIndexOf('.', end) < 0) {
            return text;
        }
        int cut = end;
        while (text.charAt(cut - 1) == '0') {
            cut--;
        }
        if (text.charAt(cut - 1) == '.') {
            cut--;
        }
        return text.substring(0, cut) + text.substring(end);
    }

    /** {@code %a %A} of {@code d}, as glibc writes it: shortest exact digits unless a precision is given. */
    static String hex(FormatSpec spec, double d) {
        boolean upper = spec.conversion() == 'A';
        String sign = Math.copySign(1.0, d) < 0 && !Double.isNaN(d) ? "-" : spec.has('+') ? "+"
                : spec.has(' ') ? " " : "";
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            String text = Double.isNaN(d) ? "nan" : "inf";
            return spec.pad(sign + (upper ? text.toUpperCase(java.util.Locale.ROOT) : text), sign.length(), false);
        }
        long bits = Double.doubleToRawLongBits(Math.abs(d));
        long fraction = bits & FRACTION_MASK;
        int biased = (int) (bits >>> 52);
        long lead = biased == 0 ? 0 : 1;
        int exponent = d == 0 ? 0 : biased == 0 ? -1022 : biased - 1023;
        String digits;
        if (spec.precision() < 0) {
            digits = String.format("%013x", fraction).replaceFirst("0+$", "");
        } else {
            int keep = Math.min(spec.precision(), 13);
            int drop = 52 - 4 * keep;
            BigInteger kept = BigInteger.valueOf(fraction).shiftRight(drop);
            long remainder = drop == 0 ? 0 : fraction & ((1L << drop) - 1);
            long half = drop == 0 ? 1 : 1L << (drop - 1);
            boolean odd = keep == 0 ? (lead & 1) == 1 : kept.testBit(0);
            if (remainder > half || (remainder == half && odd)) {
                kept = kept.add(BigInteger.ONE);
            }
            if (kept.bitLength() > 4 * keep) { // the fraction rounded up into the leading digit
                lead++;
                kept = kept.clearBit(4 * keep);
            }
            digits = keep == 0 ? "" : String.format("%0" + keep + "x", kept);
            digits += "0".repeat(spec.precision() - keep);
        }
        String body = "0x" + lead + (digits.isEmpty() && !spec.has('#') ? "" : "." + digits)
                + "p" + (exponent < 0 ? "-" : "+") + Math.abs(exponent);
        if (upper) {
            body = body.toUpperCase(java.util.Locale.ROOT);
        }
        return spec.pad(sign + body, sign.length() + 2, spec.has('0'));
    }
}
