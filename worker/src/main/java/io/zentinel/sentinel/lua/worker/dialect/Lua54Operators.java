package io.zentinel.sentinel.lua.worker.dialect;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;

/**
 * The Lua 5.4 operators LuaJ lacks, as functions that translated scripts call through the
 * upvalue {@value #UPVALUE}: {@code idiv} and {@code fidiv} ({@code //}), {@code band}
 * ({@code &}), {@code bor} ({@code |}), {@code bxor} (binary {@code ~}), {@code shl}
 * ({@code <<}), {@code shr} ({@code >>}) and {@code bnot} (unary {@code ~}).
 *
 * <p>Semantics and messages are Lua 5.4's, with numbers read by {@link IntegerRule}:
 * {@code //} on two integers is integer floor division (a zero divisor is the error
 * {@code attempt to divide by zero}), otherwise the floor of the float quotient ({@code fidiv}
 * always divides as floats; the translation calls it when an operand is a float numeral such as
 * {@code 1.0}); numeric strings are converted, as Lua 5.4's string library does. Bitwise
 * operators work on 64-bit integers: a float without an integral value is the error
 * {@code number has no integer representation}, a string is an error as in Lua 5.4; shifts of
 * 64 or more give 0 and a negative shift shifts the other way; {@code >>} is logical. Operands
 * that are not numbers get their {@code __idiv}, {@code __band}, ... metamethod, first
 * operand's first.
 *
 * <p>LuaJ's numbers are doubles beyond the 32-bit range. A quotient of {@code //} that a double
 * cannot hold exactly is the rounded float quotient, as for every other arithmetic operator;
 * a bitwise result that a double cannot hold exactly (beyond 2^53, {@code -1 >> 7} say) is an
 * error rather than a silently different bit pattern. {@code Long.MAX_VALUE} ({@code -1 >> 1})
 * is held as 2^63, the value of {@code math.maxinteger}.
 *
 * <p>The functions are stateless and may be shared by every VM of the JVM.
 */
public final class Lua54Operators {
    /** The name of the upvalue through which translated code reaches the functions. */
    public static final String UPVALUE = "__lua54";

    private enum Bitwise {
        BAND("band", "&"), BOR("bor", "|"), BXOR("bxor", "~"), SHL("shl", "<<"), SHR("shr", ">>");

        final String name;
        final String symbol;
        final LuaString event;

        Bitwise(String name, String symbol) {
            this.name = name;
            this.symbol = symbol;
            this.event = LuaString.valueOf("__" + name);
        }

        long apply(long a, long b) {
            return switch (this) {
                case BAND -> a & b;
                case BOR -> a | b;
                case BXOR -> a ^ b;
                case SHL -> shiftLeft(a, b);
                case SHR -> shiftLeft(a, -b);
            };
        }
    }

    private static final LuaString IDIV = LuaString.valueOf("__idiv");
    private static final LuaString BNOT = LuaString.valueOf("__bnot");

    private Lua54Operators() {
    }

    /** A new table of the functions (the caller makes it read-only). */
    public static LuaTable table() {
        LuaTable t = new LuaTable();
        t.rawset("idiv", binary("idiv", (a, b) -> floorDivide(a, b, false)));
        t.rawset("fidiv", binary("fidiv", (a, b) -> floorDivide(a, b, true)));
        for (Bitwise op : Bitwise.values()) {
            t.rawset(op.name, binary(op.name, (a, b) -> bitwise(op, a, b)));
        }
        t.rawset("bnot", new OneArgFunction() {
            {
                name = "bnot";
            }

            @Override
            public LuaValue call(LuaValue a) {
                Long x = integerOf(a);
                return x != null ? bitwiseResult(~x, "~") : metamethod(BNOT, a, a, true);
            }
        });
        return t;
    }

    private interface Body {
        LuaValue apply(LuaValue a, LuaValue b);
    }

    private static LuaValue binary(String functionName, Body body) {
        return new TwoArgFunction() {
            {
                name = functionName;
            }

            @Override
            public LuaValue call(LuaValue a, LuaValue b) {
                return body.apply(a, b);
            }
        };
    }

    /** Lua 5.4's {@code luaV_shiftl}: a logical shift; 64 or more positions give 0. */
    static long shiftLeft(long x, long y) {
        if (y < 0) {
            return y <= -64 ? 0 : x >>> -y;
        }
        return y >= 64 ? 0 : x << y;
    }

    static LuaValue floorDivide(LuaValue a, LuaValue b, boolean floats) {
        LuaValue x = a.tonumber();
        LuaValue y = b.tonumber();
        if (x.isnil() || y.isnil()) {
            return metamethod(IDIV, a, b, false);
        }
        double dx = x.todouble();
        double dy = y.todouble();
        if (!floats && IntegerRule.isInteger(dx) && IntegerRule.isInteger(dy)) {
            long n = IntegerRule.toLong(dy);
            if (n == 0) {
                throw new LuaError("attempt to divide by zero");
            }
            long q = Math.floorDiv(IntegerRule.toLong(dx), n);
            if (IntegerRule.exact(q)) {
                return IntegerRule.valueOf(q);
            }
        }
        return LuaValue.valueOf(Math.floor(dx / dy));
    }

    private static LuaValue bitwise(Bitwise op, LuaValue a, LuaValue b) {
        Long x = integerOf(a);
        Long y = integerOf(b);
        if (x != null && y != null) {
            return bitwiseResult(op.apply(x, y), op.symbol);
        }
        return metamethod(op.event, a, b, true);
    }

    /**
     * The number for a bitwise result, or an error when LuaJ's numbers cannot hold it exactly
     * (beyond 2^53): a rounded bit pattern would be silently wrong.
     */
    private static LuaValue bitwiseResult(long v, String operator) {
        if (!IntegerRule.exact(v)) {
            throw new LuaError("result of '" + operator + "' (" + v + ") does not fit the 53-bit precision of "
                    + "numbers in this agent");
        }
        return IntegerRule.valueOf(v);
    }

    /** The integer a bitwise operand stands for: numbers only, strings are not converted. */
    private static Long integerOf(LuaValue v) {
        return v.type() == LuaValue.TNUMBER ? IntegerRule.integerOf(v) : null;
    }

    /**
     * Lua 5.4's {@code luaT_trybinTM}: the first operand's metamethod, else the second's, else
     * the error Lua 5.4 gives. For {@code //} with a string operand that is Lua 5.4's string
     * library's message ({@code attempt to idiv a 'string' with a 'table'}).
     */
    private static LuaValue metamethod(LuaString event, LuaValue a, LuaValue b, boolean bitwise) {
        LuaValue handler = a.metatag(event);
        if (handler.isnil()) {
            handler = b.metatag(event);
        }
        if (!handler.isnil()) {
            return handler.call(a, b).arg1();
        }
        if (bitwise) {
            if (a.type() == LuaValue.TNUMBER && b.type() == LuaValue.TNUMBER) {
                throw new LuaError("number has no integer representation");
            }
            LuaValue culprit = a.type() != LuaValue.TNUMBER ? a : b;
            throw new LuaError("attempt to perform bitwise operation on a " + culprit.typename() + " value");
        }
        if (a.type() == LuaValue.TSTRING || b.type() == LuaValue.TSTRING) {
            throw new LuaError("attempt to idiv a '" + a.typename() + "' with a '" + b.typename() + "'");
        }
        LuaValue culprit = a.tonumber().isnil() ? a : b;
        throw new LuaError("attempt to perform arithmetic on a " + culprit.typename() + " value");
    }
}
