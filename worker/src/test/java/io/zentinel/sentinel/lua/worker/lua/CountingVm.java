package io.zentinel.sentinel.lua.worker.lua;

import java.util.List;
import java.util.Map;

import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import io.zentinel.sentinel.lua.worker.script.ScriptCatalog;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.ZeroArgFunction;

/** For tests outside this package: a VM whose scripts can tell how often they were loaded. */
public final class CountingVm {
    private CountingVm() {
    }

    /**
     * A VM of the one script {@code fileName}, whose scripts see a global {@code next_count()}:
     * 1 on its first call in this VM, then 2, 3 … (a count kept outside Lua, so it survives
     * fresh script environments).
     */
    public static LuaVm of(String fileName, String source) {
        ScriptCatalog catalog = ScriptCatalog.compile(List.of(
                ScriptSource.newBuilder().setFileName(fileName).setSource(source).build()));
        return new LuaVm(0, RunLimits.defaults(), catalog, "test", false, sentinel -> Map.of("next_count",
                new ZeroArgFunction() {
                    private int count;

                    @Override
                    public LuaValue call() {
                        return LuaValue.valueOf(++count);
                    }
                }));
    }
}
