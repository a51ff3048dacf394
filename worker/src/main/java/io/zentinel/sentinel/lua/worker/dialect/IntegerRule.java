package io.zentinel.sentinel.lua.worker.dialect;

import org.luaj.vm2.LuaInteger;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;

/**
 * Which LuaJ numbers count as Lua 5.4 integers. LuaJ has no integer subtype: it keeps integral
 * values in the 32-bit range as {@code LuaInteger} and every other number as a double (and turns
 * every integral double of that range back into a {@code LuaInteger}, so {@code 10/2} and
 * {@code 5} are the same value). The rule is therefore by value: a number is an integer when it
 * is integral and within [-2^63, 2^63]. The double 2^63 stands for {@code math.maxinteger}
 * (2^63-1 has no double of its own and rounds to it); integers are exact up to 2^53 in magnitude.
 *
 * <p>{@code math.type}, {@code math.tointeger}, {@code //} and the bitwise operators all use
 * this rule.
 */
public final class IntegerRule {
    private static final double TWO_POW_63 = 0x1p63;

    private IntegerRule() {
    }

    /** Whether {@code d} counts as an integer. */
    public static boolean isInteger(double d) {
        return d == Math.rint(d) && d >= -TWO_POW_63 && d <= TWO_POW_63;
    }

    /** The integer {@code d} stands for; only for values where {@link #isInteger(double)} holds. */
    public static long toLong(double d) {
        return (long) d; // saturates: 2^63 becomes Long.MAX_VALUE
    }

    /**
     * The integer value of a number, or of a string that converts to one as in Lua 5.4
     * ({@code "0x10"}, {@code " 3 "}), or {@code null} when there is none.
     */
    public static Long integerOf(LuaValue v) {
        if (v instanceof LuaInteger) {
            return (long) v.toint();
        }
        LuaValue n;
        if (v.type() == LuaValue.TNUMBER) {
            n = v;
        } else if (v instanceof LuaString) {
            n = v.tonumber();
            if (n.isnil()) {
                return null;
            }
        } else {
            return null;
        }
        double d = n.todouble();
        return isInteger(d) ? toLong(d) : null;
    }

    /**
     * Whether the LuaJ number for {@code v} is exactly {@code v}: within 2^53 in magnitude, or
     * any other value a double holds exactly, or {@code Long.MAX_VALUE} (2^63 stands for it).
     */
    public static boolean exact(long v) {
        return (long) (double) v == v;
    }

    /** The LuaJ number for the integer {@code v} (a double beyond the 32-bit range, exact up to 2^53). */
    public static LuaValue valueOf(long v) {
        return v == (int) v ? LuaInteger.valueOf((int) v) : LuaValue.valueOf((double) v);
    }
}
