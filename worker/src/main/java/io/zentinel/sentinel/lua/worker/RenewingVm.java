package io.zentinel.sentinel.lua.worker;

import java.util.List;
import java.util.Objects;

import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.worker.lua.LuaVm;
import io.zentinel.sentinel.lua.worker.script.ScriptSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One VM thread's Lua VM, renewed when its {@link VmLifetime} says so.
 *
 * <p>Renewing is what {@code vm-pool.max-executions} and {@code vm-pool.max-age} do: every
 * script gets a new global environment and its top-level code runs again, which drops whatever
 * state the scripts kept. The sandbox with its library tables stays: scripts cannot change
 * those (they are read-only), and building them anew measured several times the CPU per
 * renewal, most of it in the calls after it. A new process comes with
 * {@code workers.max-executions} and {@code workers.max-age}.
 *
 * <p>It happens on the VM's own thread after it answered a call, while the other VMs keep
 * reading the pipe. The fresh environments must define the hooks every VM found at the worker's
 * start. If a script fails now (its top-level code ran out of budget, say, or is not
 * deterministic), the VM keeps its current environments, a WARN says why, and the next attempt
 * comes after another lifetime. Owned by the VM's thread; not thread-safe.
 */
final class RenewingVm {
    private static final Logger LOG = LoggerFactory.getLogger(RenewingVm.class);

    private final LuaVm vm;
    /** The scripts the worker runs, with the hooks every VM found at its start. */
    private final List<ScriptSelector.Entry> entries;
    private final VmLifetime lifetime;
    private long renewals;

    /**
     * @param vm       the VM, loaded
     * @param selector the scripts the worker runs, with their hooks
     */
    RenewingVm(LuaVm vm, ScriptSelector selector, VmLifetime lifetime) {
        this.vm = Objects.requireNonNull(vm, "vm");
        this.entries = selector.entries();
        this.lifetime = Objects.requireNonNull(lifetime, "lifetime");
        vm.use(selector);
    }

    HookResult handle(HookCall call) {
        return vm.handle(call);
    }

    /** The answer to a call is out: counts it and renews the VM if it is now due. */
    void answered() {
        if (lifetime.executedIsDue(System.nanoTime())) {
            renew();
        }
    }

    /** How many times this VM was renewed. */
    long renewals() {
        return renewals;
    }

    private void renew() {
        long begin = System.nanoTime();
        LuaVm.ScriptEnvs fresh = vm.loadFresh();
        String mismatch = mismatch(fresh.loads());
        long end = System.nanoTime();
        lifetime.restart(end);
        if (mismatch != null) {
            LOG.warn("vm-{} - not renewed, it keeps its Lua state until the next vm-pool.max-executions or"
                    + " max-age: {}", vm.id(), mismatch);
            return;
        }
        vm.adopt(fresh);
        renewals++;
        LOG.debug("vm-{} - renewed in {} µs ({} so far)", vm.id(), (end - begin) / 1000, renewals);
    }

    /** Why the fresh environments cannot serve the worker's selection, or {@code null} if they can. */
    private String mismatch(List<LuaVm.ScriptLoad> loads) {
        for (ScriptSelector.Entry entry : entries) {
            LuaVm.ScriptLoad load = loads.get(entry.script().index());
            if (!load.ok()) {
                return entry.script().fileName() + ": " + load.problem().getReason();
            }
            if (!load.hooks().equals(entry.hooks())) {
                return entry.script().fileName() + ": defines other hook functions than at the worker's start"
                        + " (its top-level code is not deterministic)";
            }
        }
        return null;
    }
}
