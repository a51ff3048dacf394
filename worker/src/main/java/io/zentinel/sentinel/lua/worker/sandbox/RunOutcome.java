package io.zentinel.sentinel.lua.worker.sandbox;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.protocol.v1.LimitHit;
import org.luaj.vm2.Varargs;

/** How one script run ended: with its return values, or with a failure to report as a value. */
public sealed interface RunOutcome {

    /** Instructions the run executed. */
    long instructions();

    /** Bytes the run allocated, as far as measured. */
    long allocatedBytes();

    /** The function returned normally. */
    record Completed(Varargs values, long instructions, long allocatedBytes) implements RunOutcome {
    }

    /**
     * The run raised a Lua error, hit a limit, or a library threw a Java exception.
     *
     * @param kind          {@code SCRIPT_ERROR} or the limit's kind
     * @param message       the Lua message with its {@code file:line}, or the limit message naming its key
     * @param limit         the limit and its figures, {@code null} for a script error
     * @param elapsedMicros how long the run took until it failed
     */
    record Failed(FailureKind kind, String message, long instructions, long allocatedBytes, LimitHit limit,
                  long elapsedMicros) implements RunOutcome {
    }
}
