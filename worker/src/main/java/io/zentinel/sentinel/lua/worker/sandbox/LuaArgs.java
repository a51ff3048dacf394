package io.zentinel.sentinel.lua.worker.sandbox;

import io.zentinel.sentinel.lua.worker.dialect.IntegerRule;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Argument checks with Lua 5.4's messages, naming the function as Lua 5.4 does:
 * {@code bad argument #1 to 'json.decode' (string expected, got nil)}. Every check raises a
 * {@link LuaError}, so scripts can {@code pcall} them. Shared by the sandbox's own functions and
 * the agent's libraries.
 */
public final class LuaArgs {

    private LuaArgs() {
    }

    /** A string argument; numbers are converted as Lua does. */
    public static LuaString string(Varargs args, int i, String fn) {
        LuaValue v = args.arg(i);
        if (!v.isstring()) {
            throw typeError(args, i, fn, "string");
        }
        return v.checkstring();
    }

    /** A string argument, or {@code null} when it is nil or absent. */
    public static LuaString optString(Varargs args, int i, String fn) {
        return args.arg(i).isnil() ? null : string(args, i, fn);
    }

    /** A number argument (or a numeric string). */
    public static double number(Varargs args, int i, String fn) {
        LuaValue n = args.arg(i).tonumber();
        if (n.isnil()) {
            throw typeError(args, i, fn, "number");
        }
        return n.todouble();
    }

    /**
     * An integer argument: a number (or numeric string) that counts as an integer by the
     * dialect's rule ({@link IntegerRule}), so {@code math.maxinteger}, the double 2^63, is one.
     */
    public static long integer(Varargs args, int i, String fn) {
        if (args.arg(i).tonumber().isnil()) {
            throw typeError(args, i, fn, "number");
        }
        Long n = IntegerRule.integerOf(args.arg(i));
        if (n == null) {
            throw argError(i, fn, "number has no integer representation");
        }
        return n;
    }

    /** An integer argument, or {@code dflt} when it is nil or absent. */
    public static long optInteger(Varargs args, int i, String fn, long dflt) {
        return args.arg(i).isnil() ? dflt : integer(args, i, fn);
    }

    /** A table argument. */
    public static LuaTable table(Varargs args, int i, String fn) {
        LuaValue v = args.arg(i);
        if (!v.istable()) {
            throw typeError(args, i, fn, "table");
        }
        return (LuaTable) v;
    }

    public static LuaError argError(int i, String fn, String message) {
        return new LuaError("bad argument #" + i + " to '" + fn + "' (" + message + ")");
    }

    public static LuaError typeError(Varargs args, int i, String fn, String expected) {
        String got = i > args.narg() ? "no value" : args.arg(i).typename();
        return argError(i, fn, expected + " expected, got " + got);
    }
}
