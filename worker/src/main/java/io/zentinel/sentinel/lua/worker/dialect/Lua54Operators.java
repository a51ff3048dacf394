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
 * <p>Semantics are Lua 5.4's, with numbers read by {@link IntegerRule}: {@code //} on two
 * integers is integer floor division (an error for a zero divisor, {@code attempt to perform
 * 'n//0'}), otherwise the floor of the float quotient ({@code fidiv} always divides as floats; the
 * translation calls it when an operand is a float numeral such as {@code 1.0}). Bitwise
 * operators work on 64-bit integers: a float without an integral value is an error
 * ({@code number has no integer representation}); shifts of 64 or more give 0 and a negative
 * shift shifts the other way; {@code >>} is logical. Numeric strings are converted; operands
 * that are not numbers get their {@code __idiv}, {@code __band}, ... metamethod, first
 * operand's first, as in Lua 5.4.
 *
 * <p>The functions are stateless and may be shared by every VM of the JVM.
 */
public final class Lua54Operators {
    /** The name of the upvalue through which translated code reaches the functions. */
    public static final String UPVALUE = "__lua54";

    private enum Bitwise {
        BAND("band", "__band"), BOR("bor", "__bor"), BXOR("bxor", "__bxor"), SHL("shl", "__shl"), SHR("shr", "__shr");

        final String name;
        final LuaString event;

        Bitwise(String name, String event) {
            this.name = name;
            this.event = LuaString.valueOf(event);
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
                Long x = IntegerRule.integerOf(a);
                return x != null ? IntegerRule.valueOf(~x) : metamethod(BNOT, a, a, "perform bitwise operation on", true);
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
            return metamethod(IDIV, a, b, "perform arithmetic on", false);
        }
        double dx = x.todouble();
        double dy = y.todouble();
        if (!floats && IntegerRule.isInteger(dx) && IntegerRule.isInteger(dy)) {
            long n = IntegerRule.toLong(dy);
            if (n == 0) {
                throw new LuaError("attempt to perform 'n//0'");
            }
            return IntegerRule.valueOf(Math.floorDiv(IntegerRule.toLong(dx), n));
        }
        return LuaValue.valueOf(Math.floor(dx / dy));
    }

    private static LuaValue bitwise(Bitwise op, LuaValue a, LuaValue b) {
        Long x = IntegerRule.integerOf(a);
        Long y = IntegerRule.integerOf(b);
        if (x != null && y != null) {
            return IntegerRule.valueOf(op.apply(x, y));
        }
        return metamethod(op.event, a, b, "perform bitwise operation on", true);
    }

    /** Lua 5.4's {@code luaT_trybinTM}: the first operand's metamethod, else the second's, else the error. */
    private static LuaValue metamethod(LuaString event, LuaValue a, LuaValue b, String what, boolean bitwise) {
        LuaValue handler = a.metatag(event);
        if (handler.isnil()) {
            handler = b.metatag(event);
        }
        if (!handler.isnil()) {
            return handler.call(a, b).arg1();
        }
        if (bitwise && a.type() == LuaValue.TNUMBER && b.type() == LuaValue.TNUMBER) {
            throw new LuaError("number has no integer representation");
        }
        LuaValue culprit = bitwise ? (a.type() != LuaValue.TNUMBER ? a : b) : (a.tonumber().isnil() ? a : b);
        throw new LuaError("attempt to " + what + " a " + culprit.typename() + " value");
    }
}
