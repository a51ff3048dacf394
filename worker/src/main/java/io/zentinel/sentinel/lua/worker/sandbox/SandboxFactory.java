package io.zentinel.sentinel.lua.worker.sandbox;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

import io.zentinel.sentinel.lua.worker.dialect.ChunkCompiler;
import io.zentinel.sentinel.lua.worker.dialect.Lua54Math;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.BaseLib;
import org.luaj.vm2.lib.Bit32Lib;
import org.luaj.vm2.lib.CoroutineLib;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.jse.JseMathLib;

/**
 * Builds one sandboxed Lua VM ({@link Sandbox}) per call, after the recipe of
 * {@code notes/java-stack.md} §4.2.
 *
 * <p>What a script's environment falls back to (the read-only library environment):
 * <ul>
 * <li>base: {@code assert error getmetatable ipairs next pairs pcall rawequal rawget rawlen
 *     rawset select setmetatable tonumber tostring type _VERSION}, plus the sandbox's own
 *     {@code load} (text only), {@code print} (to the worker log), {@code collectgarbage}
 *     ({@code "count"} only) and {@code xpcall} (its handler sees Lua-style messages);</li>
 * <li>{@code string} (shared by the JVM, see {@link SharedStringLib}), {@code table},
 *     {@code math}, {@code bit32}, {@code coroutine} (counted per run) and {@code os}
 *     ({@link SafeOsLib}: clocks only);</li>
 * <li>the modules of {@code StandardLibraries} ({@code json crypto http encoding regex time utf8})
 *     and whatever the caller adds ({@code sentinel}).</li>
 * </ul>
 * Absent: {@code dofile loadfile require package module debug getfenv setfenv io luajava
 * string.dump}, {@code os.execute} and the rest of {@code os}. Every table there is read-only.
 *
 * <p>Only the compiler is installed (LuaC behind {@link ChunkCompiler}, which translates Lua 5.4
 * first), no undumper, so no bytecode can be loaded; {@code globals.loader} is replaced so that
 * every function compiled in the VM gets the budget's hooks whatever its environment.
 * {@code math} has Lua 5.4's {@code tointeger}, {@code type}, {@code ult}, {@code maxinteger},
 * {@code mininteger}, {@code atan(y, x)} and {@code log(x, base)} ({@link Lua54Math}).
 */
public final class SandboxFactory {

    /** The base functions scripts get, unchanged. */
    static final List<String> BASE_FUNCTIONS = List.of("assert", "error", "getmetatable", "ipairs", "next",
            "pairs", "pcall", "rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber",
            "tostring", "type", "_VERSION");

    /** Globals removed from the VM's own table too (defence in depth: scripts never see that table). */
    private static final List<String> REMOVED = List.of("dofile", "loadfile", "require", "package", "module",
            "debug", "collectgarbage", "print", "load", "getfenv", "setfenv", "io", "luajava", "os");

    private final RunLimits limits;

    public SandboxFactory(RunLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    public RunLimits limits() {
        return limits;
    }

    /** A VM with the standard libraries only. */
    public Sandbox create() {
        return create(sandbox -> Map.of());
    }

    /**
     * A VM whose library environment also holds the values {@code extras} returns for it, such
     * as the VM's {@code sentinel} table (tables among them are made read-only).
     */
    public Sandbox create(Function<Sandbox, Map<String, ? extends LuaValue>> extras) {
        LuaTable string = SharedStringLib.install();
        Globals g = new Globals();
        g.load(new BaseLib());
        g.load(new PackageLib()); // before the others: they register in package.loaded
        g.load(new Bit32Lib());
        g.load(new TableLib());
        g.load(new JseMathLib());
        g.load(new CoroutineLib());
        LuaC.install(g);
        g.compiler = ChunkCompiler.INSTANCE;
        g.undumper = null;
        InstructionBudget budget = new InstructionBudget(limits);
        g.load(budget);
        Sandbox sandbox = new Sandbox(g, budget);
        g.loader = (prototype, chunkname, env) -> sandbox.bind(prototype, env);

        Set<LuaValue> before = keys(g);
        io.zentinel.sentinel.lua.worker.lua.lib.StandardLibraries.install(g, budget);
        Set<LuaValue> modules = keys(g);
        modules.removeAll(before);

        SandboxFunctions functions = new SandboxFunctions(sandbox);
        LuaTable env = new LuaTable();
        for (String name : BASE_FUNCTIONS) {
            env.rawset(name, g.rawget(name));
        }
        env.rawset("rawset", guardedRawset(g.rawget("rawset"), budget));
        env.rawset("load", functions.load());
        env.rawset("print", functions.print(g.rawget("tostring")));
        env.rawset("warn", functions.warn());
        env.rawset("collectgarbage", SandboxFunctions.collectgarbage());
        env.rawset("xpcall", SandboxFunctions.xpcall(g.rawget("xpcall")));
        env.rawset("string", string);
        env.rawset("table", new ReadOnlyTable(functions.tables(g.rawget("table").checktable())));
        Lua54Math.install(g.rawget("math").checktable());
        env.rawset("math", new ReadOnlyTable(g.rawget("math").checktable()));
        env.rawset("bit32", new ReadOnlyTable(g.rawget("bit32").checktable()));
        env.rawset("coroutine", new ReadOnlyTable(functions.coroutines(g.rawget("coroutine").checktable())));
        env.rawset("os", SafeOsLib.create());
        for (LuaValue name : modules) {
            env.rawset(name, readOnly(g.rawget(name)));
        }
        for (Map.Entry<String, ? extends LuaValue> extra : extras.apply(sandbox).entrySet()) {
            env.rawset(extra.getKey(), readOnly(extra.getValue()));
        }
        sandbox.useLibraryEnv(new ReadOnlyTable(env));

        for (String name : REMOVED) {
            g.rawset(name, LuaValue.NIL);
        }
        return sandbox;
    }

    /** {@code rawset} that respects resource-limits.max-table-entries like {@code t[k] = v} does. */
    private static LuaValue guardedRawset(LuaValue rawset, InstructionBudget budget) {
        return new org.luaj.vm2.lib.VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                if (args.arg1() instanceof LuaTable t && !(t instanceof ReadOnlyTable)) {
                    long after = budget.tableEntries().afterStore(t, args.arg(2), args.arg(3), budget.maxTableEntries());
                    if (after > 0) {
                        budget.checkTableSize(after);
                    }
                }
                return rawset.invoke(args);
            }
        };
    }

    private static LuaValue readOnly(LuaValue value) {
        if (value instanceof ReadOnlyTable || !(value instanceof LuaTable table)) {
            return value;
        }
        LuaValue meta = table.getmetatable();
        return meta instanceof LuaTable m ? new ReadOnlyTable(table, new ReadOnlyTable(m)) : new ReadOnlyTable(table);
    }

    private static Set<LuaValue> keys(LuaTable t) {
        Set<LuaValue> keys = new HashSet<>();
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs next = t.next(k);
            k = next.arg1();
            if (k.isnil()) {
                return keys;
            }
            keys.add(k);
        }
    }
}
