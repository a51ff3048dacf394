package io.zentinel.sentinel.lua.worker.dialect;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * The parts of Lua 5.4's {@code math} library that LuaJ's (Lua 5.2) lacks: {@code tointeger},
 * {@code type}, {@code ult}, {@code maxinteger} and {@code mininteger}, with integers as
 * {@link IntegerRule} defines them; and {@code atan(y [, x])} and {@code log(x [, base])},
 * whose second argument LuaJ 3.0.1 ignores. {@code math.maxinteger} is the double 2^63, which stands
 * for 2^63-1 (it prints as {@code 9223372036854775807}); {@code math.mininteger} is -2^63, exact.
 */
public final class Lua54Math {
    private static final LuaValue INTEGER = LuaValue.valueOf("integer");
    private static final LuaValue FLOAT = LuaValue.valueOf("float");

    private Lua54Math() {
    }

    /** Adds the functions and constants to {@code math} (before it is made read-only). */
    public static void install(LuaTable math) {
        math.rawset("maxinteger", IntegerRule.valueOf(Long.MAX_VALUE));
        math.rawset("mininteger", IntegerRule.valueOf(Long.MIN_VALUE));
        math.rawset("tointeger", function("tointeger", args -> {
            checkAny(args, "tointeger");
            Long n = IntegerRule.integerOf(args.arg1());
            return n == null ? LuaValue.NIL : IntegerRule.valueOf(n);
        }));
        math.rawset("type", function("type", args -> {
            checkAny(args, "type");
            LuaValue x = args.arg1();
            if (x.type() != LuaValue.TNUMBER) {
                return LuaValue.NIL;
            }
            return IntegerRule.isInteger(x.todouble()) ? INTEGER : FLOAT;
        }));
        math.rawset("ult", function("ult", args ->
                LuaValue.valueOf(Long.compareUnsigned(integer(args, 1, "ult"), integer(args, 2, "ult")) < 0)));
        math.rawset("atan", function("atan", args -> LuaValue.valueOf(
                Math.atan2(number(args, 1, "atan"), args.isnoneornil(2) ? 1.0 : number(args, 2, "atan")))));
        math.rawset("log", function("log", args -> {
            double x = number(args, 1, "log");
            if (args.isnoneornil(2)) {
                return LuaValue.valueOf(Math.log(x));
            }
            double base = number(args, 2, "log");
            return LuaValue.valueOf(base == 2.0 ? Math.log(x) / Math.log(2.0)
                    : base == 10.0 ? Math.log10(x) : Math.log(x) / Math.log(base));
        }));
    }

    private interface Body {
        Varargs invoke(Varargs args);
    }

    private static LuaValue function(String functionName, Body body) {
        return new VarArgFunction() {
            {
                name = functionName;
            }

            @Override
            public Varargs invoke(Varargs args) {
                return body.invoke(args);
            }
        };
    }

    private static void checkAny(Varargs args, String fn) {
        if (args.narg() < 1) {
            throw new LuaError("bad argument #1 to '" + fn + "' (value expected)");
        }
    }

    private static double number(Varargs args, int i, String fn) {
        LuaValue n = args.arg(i).tonumber();
        if (n.isnil()) {
            throw new LuaError("bad argument #" + i + " to '" + fn + "' (number expected, got "
                    + (i > args.narg() ? "no value" : args.arg(i).typename()) + ")");
        }
        return n.todouble();
    }

    private static long integer(Varargs args, int i, String fn) {
        LuaValue v = args.arg(i);
        Long n = IntegerRule.integerOf(v);
        if (n != null) {
            return n;
        }
        String problem = v.tonumber().isnil()
                ? "number expected, got " + (i > args.narg() ? "no value" : v.typename())
                : "number has no integer representation";
        throw new LuaError("bad argument #" + i + " to '" + fn + "' (" + problem + ")");
    }
}
