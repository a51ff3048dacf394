package io.zentinel.sentinel.lua.worker.sandbox;

import org.luaj.vm2.lib.VarArgFunction;

/**
 * A library function of the sandbox with its Lua name set, so that LuaJ's error messages and
 * {@code tostring} name it as Lua does.
 */
abstract class Named extends VarArgFunction {
    Named(String name) {
        this.name = name;
    }
}
