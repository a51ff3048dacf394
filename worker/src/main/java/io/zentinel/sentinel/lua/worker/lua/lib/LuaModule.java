package io.zentinel.sentinel.lua.worker.lua.lib;

import java.util.Objects;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.TwoArgFunction;

/**
 * A Lua library module in the LuaJ style: {@code globals.load(module)} calls
 * {@link #call(LuaValue, LuaValue)}, which builds the module table, sets it as the global named
 * {@link #moduleName()} and, when the environment has a {@code package.loaded} table, registers it
 * there too (so {@code require} finds it where a sandbox keeps {@code require}).
 *
 * <p>Sealed: the modules of this package are the only ones; a sandbox uses them, it does not
 * extend them. The table is a plain {@link LuaTable}; a sandbox may wrap it read-only afterwards. Each
 * instance is meant for one {@code Globals} (one Lua VM, one thread): modules keep per-VM state
 * such as caches and sentinels, and none of them is thread-safe.
 */
public abstract sealed class LuaModule extends TwoArgFunction
        permits JsonLib, CryptoLib, HttpLib, EncodingLib, RegexLib, TimeLib, Utf8Lib {

    /** Consulted by the module's functions while a script runs. */
    final ExecutionGuard guard;

    LuaModule(ExecutionGuard guard) {
        this.guard = Objects.requireNonNull(guard, "guard");
    }

    /** The global name of the module table, e.g. {@code "json"}. */
    public abstract String moduleName();

    /** Adds the module's functions and constants to {@code module}. */
    abstract void define(LuaTable module);

    @Override
    public final LuaValue call(LuaValue modname, LuaValue env) {
        LuaTable module = new LuaTable();
        define(module);
        env.set(moduleName(), module);
        LuaValue pkg = env.get("package");
        if (pkg.istable()) {
            LuaValue loaded = pkg.get("loaded");
            if (loaded.istable()) {
                loaded.set(moduleName(), module);
            }
        }
        return module;
    }

    /** Sets {@code module[name]} to a function whose error messages call it {@code <module>.<name>}. */
    final void function(LuaTable module, String name, JavaFunction.Body body) {
        module.rawset(name, new JavaFunction(moduleName() + "." + name, body));
    }
}
