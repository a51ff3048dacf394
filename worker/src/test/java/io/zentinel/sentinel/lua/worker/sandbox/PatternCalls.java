package io.zentinel.sentinel.lua.worker.sandbox;

import java.util.ArrayList;
import java.util.List;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.StringLib;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * Calls {@code find}, {@code match}, {@code gmatch} and {@code gsub} of one string library from
 * Java and renders what they return (or raise) as text, so that two libraries can be compared:
 * {@code number:3, string:'ab'}, {@code nil}, {@code error: malformed pattern (ends with '%')},
 * {@code java: ArrayIndexOutOfBoundsException} for a Java exception, and for {@code gmatch} the
 * results of each step, {@code [string:'a'] [string:'b']}, or {@code ... (no end)} when it did
 * not end within {@value #MAX_GMATCH_STEPS} steps.
 */
final class PatternCalls {
    static final int MAX_GMATCH_STEPS = 64;

    /** The replacement kinds every vector is run with. */
    static final List<String> REPLACEMENTS = List.of("<%0>", "%1", "[%1%%]", "x", "", "fn", "fn-nil", "fn-false",
            "fn-number", "table");

    private final LuaTable lib;

    PatternCalls(LuaTable lib) {
        this.lib = lib;
    }

    /** LuaJ 3.0.1's own string library, loaded without touching the sandbox's string metatable. */
    static LuaTable luaj() {
        LuaValue metatable = LuaString.s_metatable;
        try {
            LuaTable env = new LuaTable();
            env.set("package", tableWithLoaded());
            return (LuaTable) new StringLib().call(LuaValue.valueOf("string"), env);
        } finally {
            LuaString.s_metatable = metatable;
        }
    }

    private static LuaTable tableWithLoaded() {
        LuaTable pkg = new LuaTable();
        pkg.set("loaded", new LuaTable());
        return pkg;
    }

    /** The sandbox's string library. */
    static LuaTable ours() {
        return SharedStringLib.install();
    }

    static LuaValue value(Object o) {
        return switch (o) {
            case null -> LuaValue.NIL;
            case String s -> LuaString.valueOf(s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            case Integer i -> LuaValue.valueOf(i);
            case Double d -> LuaValue.valueOf(d);
            case Boolean b -> LuaValue.valueOf(b);
            case LuaValue v -> v;
            default -> throw new IllegalArgumentException(String.valueOf(o));
        };
    }

    /** {@code name(args...)} rendered; {@code gmatch} is stepped to its end. */
    String call(String name, Object... args) {
        LuaValue[] values = new LuaValue[args.length];
        for (int i = 0; i < args.length; i++) {
            values[i] = value(args[i]);
        }
        Varargs varargs = LuaValue.varargsOf(values);
        try {
            if (name.equals("gmatch")) {
                return steps(lib.get("gmatch").invoke(varargs).arg1());
            }
            return render(lib.get(name).invoke(varargs));
        } catch (LuaError e) {
            return "error: " + e.getMessage();
        } catch (RuntimeException | StackOverflowError e) {
            return "java: " + e.getClass().getSimpleName();
        }
    }

    /** {@code gsub(s, p, replacement)} with one of {@link #REPLACEMENTS}. */
    String gsub(String s, String p, String replacement) {
        return call("gsub", s, p, replacement(replacement));
    }

    static LuaValue replacement(String kind) {
        return switch (kind) {
            case "fn" -> new VarArgFunction() {
                @Override
                public Varargs invoke(Varargs captures) {
                    StringBuilder b = new StringBuilder("{");
                    for (int i = 1; i <= captures.narg(); i++) {
                        b.append(i > 1 ? "|" : "").append(captures.arg(i).tojstring());
                    }
                    return LuaValue.valueOf(b.append('}').toString());
                }
            };
            case "fn-upper" -> new VarArgFunction() {
                @Override
                public Varargs invoke(Varargs captures) {
                    return LuaValue.valueOf(captures.arg1().tojstring().toUpperCase(java.util.Locale.ROOT));
                }
            };
            case "fn-nil" -> new VarArgFunction() {
                @Override
                public Varargs invoke(Varargs captures) {
                    return LuaValue.NIL;
                }
            };
            case "fn-false" -> new VarArgFunction() {
                @Override
                public Varargs invoke(Varargs captures) {
                    return LuaValue.FALSE;
                }
            };
            case "fn-number" -> new VarArgFunction() {
                @Override
                public Varargs invoke(Varargs captures) {
                    return LuaValue.valueOf(captures.arg1().length() + 0.5);
                }
            };
            case "table" -> {
                LuaTable t = new LuaTable();
                t.set("a", "A");
                t.set("b", LuaValue.FALSE);
                t.set("1", 111);
                t.set("ab", "<ab>");
                yield t;
            }
            default -> LuaValue.valueOf(kind);
        };
    }

    /**
     * What Lua 5.2's {@code gmatch(s, p)} yields, worked out with this library's {@code gsub}:
     * gsub tries the same positions as gmatch (the subject's end included, one position further
     * after an empty match), so a replacement function sees the captures of each step. A
     * leading {@code ^} is a plain character for gmatch, so it is escaped for gsub. Rendered
     * as {@link #call} renders {@code gmatch}.
     */
    String gmatchViaGsub(String s, String p) {
        List<String> out = new ArrayList<>();
        LuaValue record = new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs captures) {
                out.add("[" + render(captures) + "]");
                return LuaValue.NIL;
            }
        };
        try {
            lib.get("gsub").invoke(LuaValue.varargsOf(value(s), value(p.startsWith("^") ? "%" + p : p), record));
        } catch (LuaError e) {
            return "error: " + e.getMessage();
        } catch (RuntimeException e) {
            return "java: " + e.getClass().getSimpleName();
        }
        return String.join(" ", out);
    }

    private static String steps(LuaValue iterator) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < MAX_GMATCH_STEPS; i++) {
            Varargs v = iterator.invoke(LuaValue.NONE);
            if (v.arg1().isnil()) {
                return String.join(" ", out);
            }
            out.add("[" + render(v) + "]");
        }
        out.add("... (no end)");
        return String.join(" ", out);
    }

    /** Printable ASCII as is, every other byte as {@code \ddd}, as Lua's {@code %q} would write it. */
    static String bytes(LuaString s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.m_length; i++) {
            int c = s.m_bytes[s.m_offset + i] & 0xFF;
            if (c >= 32 && c < 127 && c != '\\') {
                b.append((char) c);
            } else {
                b.append('\\').append(c);
            }
        }
        return b.toString();
    }

    static String render(Varargs v) {
        if (v.narg() == 0) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= v.narg(); i++) {
            if (i > 1) {
                b.append(", ");
            }
            LuaValue x = v.arg(i);
            switch (x.type()) {
                case LuaValue.TNIL -> b.append("nil");
                case LuaValue.TNUMBER -> b.append("number:").append(x.tojstring());
                case LuaValue.TSTRING -> b.append("string:'").append(bytes(x.checkstring())).append('\'');
                default -> b.append(x.typename());
            }
        }
        return b.toString();
    }
}
