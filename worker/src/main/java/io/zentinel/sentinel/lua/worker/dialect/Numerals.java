package io.zentinel.sentinel.lua.worker.dialect;

import java.math.BigInteger;
import java.util.regex.Pattern;

/** The syntax of Lua 5.4 numerals, and the ones whose value LuaJ reads differently. */
final class Numerals {
    private static final Pattern DECIMAL = Pattern.compile("(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
    private static final Pattern HEX = Pattern.compile(
            "0[xX](?:[0-9a-fA-F]+\\.?[0-9a-fA-F]*|\\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?");
    private static final Pattern HEX_INTEGER = Pattern.compile("0[xX]([0-9a-fA-F]+)");
    private static final BigInteger MAX_INTEGER = BigInteger.valueOf(Long.MAX_VALUE);

    private Numerals() {
    }

    /** Whether {@code text} is a numeral of Lua 5.4 ({@code 3}, {@code 3.0}, {@code .5e-3}, {@code 0xA.8p1}). */
    static boolean valid(String text) {
        return DECIMAL.matcher(text).matches() || HEX.matcher(text).matches();
    }

    /** Whether the numeral denotes a float in Lua 5.4: it has a radix point or an exponent. */
    static boolean isFloat(String text) {
        boolean hex = text.length() > 1 && (text.charAt(1) == 'x' || text.charAt(1) == 'X');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '.' || (hex ? c == 'p' || c == 'P' : c == 'e' || c == 'E')) {
                return true;
            }
        }
        return false;
    }

    /**
     * Lua 5.4 reads a hexadecimal integer numeral modulo 2^64 ({@code 0xFFFFFFFFFFFFFFFF} is -1),
     * LuaJ as a float (1.8446744073709552e19). For such a numeral, the decimal text LuaJ reads as
     * Lua 5.4's value, parenthesised when negative; {@code null} for every other numeral.
     */
    static String wrappedHexInteger(String text) {
        var m = HEX_INTEGER.matcher(text);
        if (!m.matches()) {
            return null;
        }
        BigInteger value = new BigInteger(m.group(1), 16);
        if (value.compareTo(MAX_INTEGER) <= 0) {
            return null;
        }
        long wrapped = value.longValue();
        return wrapped < 0 ? "(" + wrapped + ")" : Long.toString(wrapped);
    }
}
