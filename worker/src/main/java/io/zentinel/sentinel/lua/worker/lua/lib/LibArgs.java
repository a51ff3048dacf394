package io.zentinel.sentinel.lua.worker.lua.lib;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Argument checks with Lua 5.4's messages, naming the function as Lua 5.4 does:
 * {@code bad argument #1 to 'json.decode' (string expected, got nil)}. Every check raises a
 * {@link LuaError}, so scripts can {@code pcall} them.
 */
final class LibArgs {

    private LibArgs() {
    }

    /** A string argument; numbers are converted as Lua does. */
    static LuaString string(Varargs args, int i, String fn) {
        LuaValue v = args.arg(i);
        if (!v.isstring()) {
            throw typeError(args, i, fn, "string");
        }
        return v.checkstring();
    }

    /** A string argument, or {@code null} when it is nil or absent. */
    static LuaString optString(Varargs args, int i, String fn) {
        return args.arg(i).isnil() ? null : string(args, i, fn);
    }

    /** A number argument (or a numeric string). */
    static double number(Varargs args, int i, String fn) {
        LuaValue n = args.arg(i).tonumber();
        if (n.isnil()) {
            throw typeError(args, i, fn, "number");
        }
        return n.todouble();
    }

    /** An integer argument: a number (or numeric string) with an exact integer value. */
    static long integer(Varargs args, int i, String fn) {
        LuaValue v = args.arg(i);
        LuaValue n = v.tonumber();
        if (n.isnil()) {
            throw typeError(args, i, fn, "number");
        }
        if (n.isinttype()) {
            return n.toint();
        }
        double d = n.todouble();
        if (d != Math.rint(d) || Math.abs(d) >= 0x1p63) {
            throw argError(i, fn, "number has no integer representation");
        }
        return (long) d;
    }

    /** An integer argument, or {@code dflt} when it is nil or absent. */
    static long optInteger(Varargs args, int i, String fn, long dflt) {
        return args.arg(i).isnil() ? dflt : integer(args, i, fn);
    }

    /** A table argument. */
    static LuaTable table(Varargs args, int i, String fn) {
        LuaValue v = args.arg(i);
        if (!v.istable()) {
            throw typeError(args, i, fn, "table");
        }
        return (LuaTable) v;
    }

    static LuaError argError(int i, String fn, String message) {
        return new LuaError("bad argument #" + i + " to '" + fn + "' (" + message + ")");
    }

    static LuaError typeError(Varargs args, int i, String fn, String expected) {
        String got = i > args.narg() ? "no value" : args.arg(i).typename();
        return argError(i, fn, expected + " expected, got " + got);
    }
}
