package io.zentinel.sentinel.lua.worker.sandbox;

import java.util.Arrays;

import io.zentinel.sentinel.lua.worker.dialect.ChunkCompiler;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaInteger;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * The base-library functions the sandbox replaces or wraps, one VM each: {@code load},
 * {@code print}, {@code warn}, {@code collectgarbage}, {@code xpcall}, the counted
 * {@code coroutine.create}/{@code wrap} and the checked {@code table.concat}/{@code insert}/{@code unpack};
 * Lua 5.4's {@code warn}, {@code table.move}, {@code coroutine.isyieldable} and {@code coroutine.close},
 * which LuaJ lacks.
 */
final class SandboxFunctions {
    /** Longest source {@code load} compiles; compiling runs in Java, where no hook can stop it. */
    static final int MAX_LOAD_CHUNK_BYTES = 1024 * 1024;
    /** Most values {@code table.unpack} returns at once. */
    static final int MAX_RESULTS = GuardedStrings.MAX_RESULTS;
    private static final int NUMBER_TEXT_BYTES = 32;

    private final Sandbox sandbox;

    SandboxFunctions(Sandbox sandbox) {
        this.sandbox = sandbox;
    }

    /**
     * {@code load(chunk [, chunkname [, mode [, env]]])} for text only. A string chunk is compiled
     * with {@code chunkname} (default {@code "load"}); the environment is {@code env} when given
     * (even {@code nil}), otherwise the calling script's own environment, never the VM's globals.
     * The chunk may be Lua 5.4: it is translated as scripts are ({@link ChunkCompiler}).
     * Returns {@code nil, message} for a binary chunk (a {@code "\27"} prefix), a mode without
     * {@code "t"}, a chunk longer than {@value #MAX_LOAD_CHUNK_BYTES} bytes, a function chunk
     * (piecewise loading is not supported) and any compile error.
     */
    LuaValue load() {
        return new Named("load") {
            @Override
            public Varargs invoke(Varargs args) {
                LuaValue chunk = args.arg1();
                if (chunk.isfunction()) {
                    return failure("load: only string chunks can be loaded in the sandbox, not functions");
                }
                LuaString text = chunk.checkstring();
                if (text.m_length > MAX_LOAD_CHUNK_BYTES) {
                    return failure("load: chunk (" + text.m_length + " bytes) exceeds the maximum allowed ("
                            + MAX_LOAD_CHUNK_BYTES + ")");
                }
                if (text.m_length > 0 && text.m_bytes[text.m_offset] == 0x1B) {
                    return failure("attempt to load a binary chunk (mode is 't')");
                }
                String mode = args.isnoneornil(3) ? "t" : args.checkjstring(3);
                if (mode.indexOf('t') < 0) {
                    return failure("attempt to load a text chunk (mode is '" + mode + "')");
                }
                String chunkname = args.isnoneornil(2) ? "load" : args.checkjstring(2);
                LuaValue env = args.narg() >= 4 ? args.arg(4) : sandbox.currentEnv();
                Prototype prototype;
                try {
                    prototype = ChunkCompiler.INSTANCE.compile(
                            Arrays.copyOfRange(text.m_bytes, text.m_offset, text.m_offset + text.m_length), chunkname);
                } catch (LuaError e) {
                    return failure(Sandbox.luaMessage(e));
                } catch (Exception e) {
                    // LuaC throws raw exceptions on some inputs, e.g. a NullPointerException beyond 200 locals
                    return failure("load: " + chunkname + ": cannot compile (" + e + ")");
                }
                return sandbox.bind(prototype, env);
            }
        };
    }

    private static Varargs failure(String message) {
        return LuaValue.varargsOf(LuaValue.NIL, LuaValue.valueOf(message));
    }

    /** {@code print(...)}: the arguments through {@code tostring}, tab-separated, to {@link ScriptLog} at INFO. */
    LuaValue print(LuaValue tostring) {
        return new Named("print") {
            @Override
            public Varargs invoke(Varargs args) {
                if (!ScriptLog.enabled(ScriptLog.Level.INFO)) {
                    return LuaValue.NONE;
                }
                StringBuilder line = new StringBuilder();
                for (int i = 1; i <= args.narg() && line.length() <= ScriptLog.MAX_CHARS; i++) {
                    if (i > 1) {
                        line.append('\t');
                    }
                    line.append(tostring.call(args.arg(i)).tojstring());
                }
                ScriptLog.log(ScriptLog.Level.INFO, sandbox.currentScript(), line.toString());
                return LuaValue.NONE;
            }
        };
    }

    /**
     * Lua 5.4's {@code warn(msg1, ...)}: the strings joined, to {@link ScriptLog} at WARN, once a
     * script has turned warnings on with {@code warn("@on")}; {@code "@off"} turns them off and
     * other {@code "@"} messages are ignored. Off at first, as in the standalone {@code lua}, and
     * on or off for the whole VM, as in Lua 5.4, where the state is the interpreter's.
     */
    LuaValue warn() {
        return new Named("warn") {
            private boolean on;

            @Override
            public Varargs invoke(Varargs args) {
                for (int i = 1; i <= Math.max(1, args.narg()); i++) {
                    LuaArgs.string(args, i, "warn");
                }
                String first = args.arg1().tojstring();
                if (args.narg() == 1 && first.startsWith("@")) {
                    switch (first) {
                        case "@on" -> on = true;
                        case "@off" -> on = false;
                        default -> { } // unknown control messages are ignored, as in Lua 5.4
                    }
                    return LuaValue.NONE;
                }
                if (!on || !ScriptLog.enabled(ScriptLog.Level.WARN)) {
                    return LuaValue.NONE;
                }
                StringBuilder message = new StringBuilder();
                for (int i = 1; i <= args.narg() && message.length() <= ScriptLog.MAX_CHARS; i++) {
                    message.append(args.arg(i).tojstring());
                }
                ScriptLog.log(ScriptLog.Level.WARN, sandbox.currentScript(), message.toString());
                return LuaValue.NONE;
            }
        };
    }

    /**
     * {@code xpcall(f, handler)} whose handler gets the message in Lua's {@code "file:line: text"}
     * form, as everywhere else, rather than LuaJ's {@code "file:line text"}.
     */
    static LuaValue xpcall(LuaValue original) {
        return new Named("xpcall") {
            @Override
            public Varargs invoke(Varargs args) {
                LuaValue handler = args.arg(2);
                if (!handler.isfunction()) {
                    return original.invoke(args);
                }
                LuaValue formatting = new VarArgFunction() {
                    @Override
                    public Varargs invoke(Varargs error) {
                        LuaValue message = error.arg1();
                        return handler.invoke(message.type() == LuaValue.TSTRING
                                ? LuaValue.valueOf(InstructionBudget.luaPosition(message.tojstring())) : message);
                    }
                };
                return original.invoke(LuaValue.varargsOf(args.arg1(), formatting, args.subargs(3)));
            }
        };
    }

    /** {@code collectgarbage("count")} only: the JVM heap in use, in KiB. No script may trigger a GC. */
    static LuaValue collectgarbage() {
        return new Named("collectgarbage") {
            @Override
            public Varargs invoke(Varargs args) {
                String option = args.optjstring(1, "collect");
                if (!option.equals("count")) {
                    throw new LuaError("collectgarbage: option '" + option
                            + "' is not available in the sandbox (only 'count')");
                }
                Runtime rt = Runtime.getRuntime();
                return LuaValue.valueOf((rt.totalMemory() - rt.freeMemory()) / 1024.0);
            }
        };
    }

    /**
     * The {@code coroutine} table with {@code create} and {@code wrap} counted per run, and Lua
     * 5.4's {@code close} ({@link CoroutineCloser}) and {@code isyieldable}.
     */
    LuaTable coroutines(LuaTable original) {
        LuaTable t = copy(original);
        for (String fn : new String[] {"create", "wrap"}) {
            LuaValue delegate = original.rawget(fn);
            t.rawset(fn, new Named(fn) {
                @Override
                public Varargs invoke(Varargs args) {
                    sandbox.budget().countCoroutine();
                    return delegate.invoke(args);
                }
            });
        }
        CoroutineCloser closer = new CoroutineCloser();
        LuaValue resume = original.rawget("resume");
        t.rawset("resume", new Named("resume") {
            @Override
            public Varargs invoke(Varargs args) {
                return closer.resume(resume, args);
            }
        });
        t.rawset("close", new Named("close") {
            @Override
            public Varargs invoke(Varargs args) {
                return closer.close(args);
            }
        });
        LuaValue running = original.rawget("running");
        t.rawset("isyieldable", new Named("isyieldable") {
            @Override
            public Varargs invoke(Varargs args) {
                // Lua 5.4: true inside a coroutine; LuaJ's running() says whether that is the main one
                return LuaValue.valueOf(!running.invoke(LuaValue.NONE).arg(2).toboolean());
            }
        });
        return t;
    }

    /** The {@code table} table with {@code concat}, {@code insert} and {@code unpack} checked first. */
    LuaTable tables(LuaTable original) {
        InstructionBudget budget = sandbox.budget();
        LuaTable t = copy(original);
        LuaValue concat = original.rawget("concat");
        t.rawset("concat", new Named("concat") {
            @Override
            public Varargs invoke(Varargs args) {
                if (args.arg1().istable()) {
                    LuaTable list = args.arg1().checktable();
                    LuaString sep = args.isnoneornil(2) ? LuaValue.EMPTYSTRING : args.checkstring(2);
                    int from = args.optint(3, 1);
                    int to = args.isnoneornil(4) ? list.length() : args.checkint(4);
                    long total = 0;
                    for (long k = from; k <= to; k++) {
                        LuaValue v = list.rawget((int) k);
                        if (v instanceof LuaString s) {
                            total += s.m_length;
                        } else if (v.type() == LuaValue.TNUMBER) {
                            total += NUMBER_TEXT_BYTES;
                        } else {
                            break; // LuaJ reports the bad element
                        }
                        if (k > from) {
                            total += sep.m_length;
                        }
                        if (total > budget.maxStringBytes()) {
                            break;
                        }
                    }
                    budget.checkStringLength(total);
                }
                return concat.invoke(args);
            }
        });
        LuaValue insert = original.rawget("insert");
        t.rawset("insert", new Named("insert") {
            @Override
            public Varargs invoke(Varargs args) {
                if (args.arg1().istable()) {
                    budget.checkTableSize((long) args.arg1().checktable().length() + 1);
                }
                return insert.invoke(args);
            }
        });
        t.rawset("move", new Named("move") {
            @Override
            public Varargs invoke(Varargs args) {
                return move(args, budget);
            }
        });
        LuaValue unpack = original.rawget("unpack");
        t.rawset("unpack", new Named("unpack") {
            @Override
            public Varargs invoke(Varargs args) {
                if (args.arg1().istable()) {
                    long from = args.optlong(2, 1);
                    long to = args.isnoneornil(3) ? args.arg1().checktable().length() : args.checklong(3);
                    if (to - from + 1 > MAX_RESULTS) {
                        throw new LuaError("too many results to unpack");
                    }
                }
                return unpack.invoke(args);
            }
        });
        return t;
    }

    /**
     * Lua 5.4's {@code table.move(a1, f, e, t [, a2])}: {@code a2[t..t+e-f] = a1[f..e]} through
     * metamethods, in the order that survives an overlap, returning {@code a2} ({@code a1} when
     * left out). One call moves at most {@code resource-limits.max-table-entries} elements, and the
     * destination's size is checked before the first store, as a Lua loop of stores would be.
     */
    static Varargs move(Varargs args, InstructionBudget budget) {
        String fn = "table.move";
        LuaTable source = LuaArgs.table(args, 1, fn);
        long from = LuaArgs.integer(args, 2, fn);
        long end = LuaArgs.integer(args, 3, fn);
        long to = LuaArgs.integer(args, 4, fn);
        LuaTable target = args.isnoneornil(5) ? source : LuaArgs.table(args, 5, fn);
        if (end >= from) {
            if (from <= 0 && end >= Long.MAX_VALUE + from) {
                throw LuaArgs.argError(3, fn, "too many elements to move");
            }
            long count = end - from + 1;
            if (to > Long.MAX_VALUE - count + 1) {
                throw LuaArgs.argError(4, fn, "destination wrap around");
            }
            budget.checkTableSize(count);
            budget.checkTableSize(to >= 1 ? Math.max(target.length(), to + count - 1) : target.length() + count);
            boolean backwards = target == source && to > from && to <= end;
            for (long i = 0; i < count; i++) {
                long k = backwards ? count - 1 - i : i;
                target.set(LuaInteger.valueOf(to + k), source.get(LuaInteger.valueOf(from + k)));
            }
        }
        return target;
    }

    static LuaTable copy(LuaTable source) {
        LuaTable t = new LuaTable();
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs next = source.next(k);
            k = next.arg1();
            if (k.isnil()) {
                return t;
            }
            t.rawset(k, next.arg(2));
        }
    }
}
