package io.zentinel.sentinel.lua.worker.lua.lib;

import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/** A Lua function whose body is a Java lambda, named for error messages and {@code tostring}. */
final class JavaFunction extends VarArgFunction {

    /** The function's body: takes the Lua arguments, returns the Lua results. */
    @FunctionalInterface
    interface Body {
        Varargs invoke(Varargs args);
    }

    private final Body body;

    JavaFunction(String qualifiedName, Body body) {
        this.name = qualifiedName;
        this.body = body;
    }

    @Override
    public Varargs invoke(Varargs args) {
        return body.invoke(args);
    }

    @Override
    public String tojstring() {
        return "builtin: " + name;
    }
}
