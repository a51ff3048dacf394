package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.regex.Pattern;

/**
 * The number syntax shared by both versions: decimal with optional fraction and exponent, and
 * {@code 0x} hex, {@code 0o} octal, {@code 0b} binary integers, each with an optional sign and
 * {@code _} separators after the first digit.
 */
final class KdlNumberLiteral {

    // Every quantifier here follows a distinct character class, so matching is linear.
    private static final Pattern DECIMAL = Pattern.compile("[+-]?[0-9][0-9_]*(\\.[0-9][0-9_]*)?([eE][+-]?[0-9][0-9_]*)?");
    private static final Pattern HEX = Pattern.compile("[+-]?0x[0-9a-fA-F][0-9a-fA-F_]*");
    private static final Pattern OCTAL = Pattern.compile("[+-]?0o[0-7][0-7_]*");
    private static final Pattern BINARY = Pattern.compile("[+-]?0b[01][01_]*");

    private KdlNumberLiteral() {
    }

    /** Whether a number starts at {@code first}, {@code second}: a digit, or a sign and a digit. */
    static boolean startsNumber(int first, int second) {
        return KdlVersion.isDigit(first) || ((first == '+' || first == '-') && KdlVersion.isDigit(second));
    }

    /**
     * The value of {@code literal}.
     *
     * @throws NumberFormatException with the reason, if it is not a valid KDL number
     */
    static Number parse(String literal) {
        String digits = literal.replace("_", "");
        boolean negative = digits.startsWith("-");
        String unsigned = (negative || digits.startsWith("+")) ? digits.substring(1) : digits;
        if (HEX.matcher(literal).matches()) {
            return radix(unsigned.substring(2), 16, negative);
        } else if (OCTAL.matcher(literal).matches()) {
            return radix(unsigned.substring(2), 8, negative);
        } else if (BINARY.matcher(literal).matches()) {
            return radix(unsigned.substring(2), 2, negative);
        } else if (DECIMAL.matcher(literal).matches()) {
            if (unsigned.indexOf('.') < 0 && unsigned.indexOf('e') < 0 && unsigned.indexOf('E') < 0) {
                return new BigInteger(digits);
            }
            try {
                return new BigDecimal(digits);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new NumberFormatException("its exponent is out of range");
            }
        }
        throw new NumberFormatException(reason(literal));
    }

    private static BigInteger radix(String digits, int radix, boolean negative) {
        BigInteger value = new BigInteger(digits, radix);
        return negative ? value.negate() : value;
    }

    private static String reason(String literal) {
        String unsigned = literal.replaceFirst("^[+-]", "");
        if (unsigned.startsWith("0x")) {
            return "a hexadecimal number is 0x followed by the digits 0-9 and a-f";
        } else if (unsigned.startsWith("0o")) {
            return "an octal number is 0o followed by the digits 0-7";
        } else if (unsigned.startsWith("0b")) {
            return "a binary number is 0b followed by the digits 0 and 1";
        }
        return "a decimal number is digits, optionally followed by '.' and digits,"
                + " and by 'e' and an exponent; '_' may separate digits";
    }
}
