package io.zentinel.sentinel.lua.worker.lua.lib;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LoadState;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.BaseLib;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.StringLib;
import org.luaj.vm2.lib.TableLib;

/** A minimal Lua VM with the standard libraries of this package, for running test snippets. */
final class LuaHarness {

    final Globals globals;

    LuaHarness(ExecutionGuard guard) {
        this(guard, g -> StandardLibraries.install(g, guard));
    }

    /** A VM with the base libraries and whatever {@code installer} adds. */
    LuaHarness(ExecutionGuard guard, java.util.function.Consumer<Globals> installer) {
        globals = new Globals();
        globals.load(new BaseLib());
        globals.load(new PackageLib());
        globals.load(new StringLib());
        globals.load(new TableLib());
        LoadState.install(globals);
        LuaC.install(globals);
        installer.accept(globals);
    }

    /**
     * Runs a chunk and returns its results. The chunk goes in as UTF-8 bytes: LuaJ's
     * {@code load(String)} would encode characters outside the BMP as CESU-8.
     */
    Varargs run(String chunk) {
        var in = new java.io.ByteArrayInputStream(chunk.getBytes(StandardCharsets.UTF_8));
        return globals.load(in, "test", "t", globals).invoke();
    }

    /** Evaluates one Lua expression. */
    LuaValue eval(String expression) {
        return run("return " + expression).arg1();
    }

    /** Evaluates one Lua expression that yields a string, as Java text (decoded as UTF-8). */
    String text(String expression) {
        LuaValue v = eval(expression);
        if (!v.isstring()) {
            throw new AssertionError("expected a string from " + expression + " but got " + v.typename() + ": " + v);
        }
        return utf8(v);
    }

    /** The bytes of a string result. */
    byte[] bytes(String expression) {
        return LuaBytes.of(eval(expression).checkstring());
    }

    /** Calls {@code call} (a Lua call expression such as {@code json.decode("[")}) in pcall and returns the message. */
    String error(String call) {
        Varargs r = run("return pcall(function() return " + call + " end)");
        assertFalse(r.arg1().toboolean(), () -> "expected an error from " + call + " but got " + r.arg(2));
        // errors raised by a Java function called from a Lua function carry LuaJ's "test:1 " position prefix
        return utf8(r.arg(2)).replaceFirst("^test:\\d+ ", "");
    }

    static String utf8(LuaValue v) {
        LuaString s = v.checkstring();
        return new String(s.m_bytes, s.m_offset, s.m_length, StandardCharsets.UTF_8);
    }
}
