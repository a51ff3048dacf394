package io.zentinel.sentinel.lua.worker.lua;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.zentinel.sentinel.lua.worker.lua.lib.LuaBytes;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * What a request or response userdata holds: the call it belongs to and whether its headers may
 * be changed in this phase. Also the helpers both objects' methods share.
 */
final class HttpHandle {
    final CallState state;
    final boolean response;
    final boolean mutable;

    HttpHandle(CallState state, boolean response, boolean mutable) {
        this.state = state;
        this.response = response;
        this.mutable = mutable;
    }

    String type() {
        return response ? "response" : "request";
    }

    HeaderView headers() {
        return response ? state.responseHeaders() : state.requestHeaders();
    }

    /** A method of the request or response object: {@code body} gets the handle its first argument holds. */
    interface Body {
        Varargs apply(HttpHandle self, Varargs args);
    }

    static LuaValue method(boolean response, String methodName, Body body) {
        String type = response ? "response" : "request";
        return new VarArgFunction() {
            {
                this.name = methodName; // inside this class, "name" is LibFunction's field
            }

            @Override
            public Varargs invoke(Varargs args) {
                if (args.arg1() instanceof LuaUserdata u && u.m_instance instanceof HttpHandle h && h.response == response) {
                    return body.apply(h, args);
                }
                throw new LuaError(type + ":" + methodName + " must be called on the " + type + " object with ':', as in "
                        + type + ":" + methodName + "(...)");
            }
        };
    }

    /** The metatable of the objects: methods first, then the Rust agent's plain fields; no writes. */
    static LuaTable metatable(String type, LuaTable methods, FieldReader fields) {
        LuaTable meta = new LuaTable();
        meta.rawset("__index", new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                LuaValue method = methods.rawget(key);
                if (!method.isnil()) {
                    return method;
                }
                if (key.isstring() && self instanceof LuaUserdata u && u.m_instance instanceof HttpHandle h) {
                    return fields.read(h, key.tojstring());
                }
                return LuaValue.NIL;
            }
        });
        meta.rawset("__newindex", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                throw new LuaError("the " + type + " object cannot be changed this way; use its methods, e.g. "
                        + type + ":set_header(name, value)");
            }
        });
        meta.rawset("__tostring", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return LuaValue.valueOf(type);
            }
        });
        meta.rawset("__metatable", LuaValue.valueOf(type));
        return meta;
    }

    /** Reads a plain field ({@code request.uri}) of a handle, {@code nil} when there is none. */
    interface FieldReader {
        LuaValue read(HttpHandle handle, String key);
    }

    // ------------------------------------------------------------------ header methods

    static void define(LuaTable methods, boolean response) {
        String type = response ? "response" : "request";
        methods.rawset("get_header", method(response, "get_header", (h, args) -> {
            String value = h.headers().first(args.checkjstring(2));
            return value == null ? LuaValue.NIL : text(value);
        }));
        methods.rawset("get_headers", method(response, "get_headers", (h, args) -> {
            if (args.isnoneornil(2)) {
                LuaTable all = new LuaTable();
                h.headers().all().forEach((name, values) -> all.rawset(name, list(values)));
                return all;
            }
            return list(h.headers().values(args.checkjstring(2)));
        }));
        methods.rawset("add_header", method(response, "add_header", (h, args) -> {
            String name = headerName(h, args, "add_header");
            h.headers().add(name, headerValue(args, type + ":add_header"));
            return LuaValue.NONE;
        }));
        methods.rawset("set_header", method(response, "set_header", (h, args) -> {
            String name = headerName(h, args, "set_header");
            h.headers().set(name, headerValue(args, type + ":set_header"));
            return LuaValue.NONE;
        }));
        methods.rawset("remove_header", method(response, "remove_header", (h, args) -> {
            h.headers().remove(headerName(h, args, "remove_header"));
            return LuaValue.NONE;
        }));
    }

    /** The metatable of {@link HeaderTable}: a missing key is retried in lower case. */
    static LuaTable caseInsensitiveMetatable() {
        LuaTable meta = new LuaTable();
        meta.rawset("__index", new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue table, LuaValue key) {
                if (!key.isstring()) {
                    return LuaValue.NIL;
                }
                String lower = HeaderView.lower(key.tojstring());
                return table.rawget(lower);
            }
        });
        return meta;
    }

    static LuaTable list(List<String> values) {
        LuaTable t = new LuaTable(values.size(), 0);
        for (int i = 0; i < values.size(); i++) {
            t.rawset(i + 1, text(values.get(i)));
        }
        return t;
    }

    private static String headerName(HttpHandle h, Varargs args, String method) {
        String fn = h.type() + ":" + method;
        if (!h.mutable) {
            throw new LuaError(fn + ": " + h.type() + " headers cannot be changed in this phase");
        }
        String name = args.checkjstring(2);
        if (!isToken(name)) {
            throw new LuaError(fn + ": '" + printable(name) + "' is not a valid header name");
        }
        return name;
    }

    private static String headerValue(Varargs args, String fn) {
        String value = args.checkjstring(3);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new LuaError(fn + ": a header value must not contain CR, LF or NUL");
            }
        }
        return value;
    }

    /** An RFC 9110 token, at most 256 characters. */
    static boolean isToken(String name) {
        if (name.isEmpty() || name.length() > 256) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return cut.replaceAll("[\\p{Cntrl}]", "?");
    }

    /**
     * {@code text} as a Lua string: its UTF-8 bytes, as the header list carries them, made faster
     * for ASCII, which header names and values nearly always are. (LuaJ's own
     * {@link LuaValue#valueOf(String)} goes through a {@code char[]}, costs a few microseconds per
     * call for 20 headers, and writes a character beyond the BMP as six bytes of CESU-8.) Text with
     * a lone surrogate, which has no UTF-8 form, gets LuaJ's bytes.
     */
    static LuaString text(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length != text.length()) {
            return LuaBytes.hasLoneSurrogate(text) ? LuaString.valueOf(text) : LuaString.valueUsing(bytes);
        }
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '?' && text.charAt(i) != '?') {
                return LuaString.valueOf(text); // a lone surrogate, which getBytes replaced
            }
        }
        return LuaString.valueUsing(bytes);
    }
}
