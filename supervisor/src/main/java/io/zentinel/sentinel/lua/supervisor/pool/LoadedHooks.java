package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.ScriptInfo;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;

/**
 * The phases the loaded scripts hook, read from the {@code WorkerReady} of the serving generation
 * ({@code ScriptInfo.hooks}). The {@link EventDispatcher} asks it whether any later call of a
 * transaction can use the transaction's state, and keeps that state only then.
 *
 * @param source the {@code WorkerReady} it was read from ({@code null}: not known yet); compared by
 *               identity to notice a reload
 * @param phases one bit per hooked {@link Phase}, at {@code 1 << phase number}
 */
record LoadedHooks(WorkerReady source, int phases) {
    private static final int ALL_PHASES = bit(Phase.PHASE_REQUEST_HEADERS) | bit(Phase.PHASE_REQUEST_BODY)
            | bit(Phase.PHASE_RESPONSE_HEADERS) | bit(Phase.PHASE_RESPONSE_BODY);

    /** Before the pool reported its scripts: any phase may be hooked, so all state is kept. */
    static final LoadedHooks UNKNOWN = new LoadedHooks(null, ALL_PHASES);

    static LoadedHooks of(WorkerReady ready) {
        if (ready == null) {
            return UNKNOWN;
        }
        int phases = 0;
        for (ScriptInfo script : ready.getScriptsList()) {
            for (Hook hook : script.getHooksList()) {
                phases |= switch (hook) {
                    case REQUEST_HEADERS -> bit(Phase.PHASE_REQUEST_HEADERS);
                    case REQUEST_BODY, REQUEST_BODY_CHUNK -> bit(Phase.PHASE_REQUEST_BODY);
                    case RESPONSE_HEADERS -> bit(Phase.PHASE_RESPONSE_HEADERS);
                    case RESPONSE_BODY -> bit(Phase.PHASE_RESPONSE_BODY);
                    // a hook this supervisor does not know: assume it needs everything
                    case HOOK_UNSPECIFIED, UNRECOGNIZED -> ALL_PHASES;
                };
            }
        }
        return new LoadedHooks(ready, phases);
    }

    /** Whether a script hooks {@code phase} itself. */
    boolean hooks(Phase phase) {
        return (phases & bit(phase)) != 0;
    }

    /**
     * Whether a script hooks a phase after {@code phase} or, when {@code moreChunks} (a body chunk
     * that is not the last), {@code phase} itself: whether a later call of the transaction can
     * use its request, response or ctx.
     */
    boolean usedAfter(Phase phase, boolean moreChunks) {
        int later = ALL_PHASES & -(bit(phase) << 1); // the bits above phase's
        if (moreChunks) {
            later |= bit(phase);
        }
        return (phases & later) != 0;
    }

    private static int bit(Phase phase) {
        return 1 << phase.getNumber();
    }
}
