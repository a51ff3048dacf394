package io.zentinel.sentinel.lua.worker.lua.lib;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import org.luaj.vm2.Globals;

/**
 * Installs every library module of this package into a {@link Globals}, each with its default
 * caps: {@code json}, {@code crypto}, {@code http}, {@code encoding}, {@code regex}, {@code time}
 * and {@code utf8}. A sandbox that needs other caps loads the modules one by one instead, e.g.
 * {@code g.load(new RegexLib(guard, 64, 1024))}.
 */
public final class StandardLibraries {

    private StandardLibraries() {
    }

    /**
     * Loads the modules into {@code g} as globals (and into {@code package.loaded} when {@code g}
     * has it). The modules keep per-VM state, so call this once per {@code Globals}.
     *
     * @param guard the limits of the VM's script runs, consulted by the library functions
     */
    public static void install(Globals g, ExecutionGuard guard) {
        g.load(new JsonLib(guard));
        g.load(new CryptoLib(guard));
        g.load(new HttpLib(guard));
        g.load(new EncodingLib(guard));
        g.load(new RegexLib(guard));
        g.load(new TimeLib(guard));
        g.load(new Utf8Lib(guard));
    }
}
