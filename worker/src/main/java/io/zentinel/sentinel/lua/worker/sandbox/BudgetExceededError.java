package io.zentinel.sentinel.lua.worker.sandbox;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.protocol.v1.LimitHit;

/**
 * A script run went past one of its limits.
 *
 * <p>An {@link Error}, not a {@code LuaError} or {@code RuntimeException}, on purpose: LuaJ's
 * {@code pcall}, {@code xpcall} and {@code LuaClosure.execute} catch only {@code LuaError} and
 * {@code Exception}, so a script cannot swallow it. The worker catches it at the boundary of the
 * script run and reports it as a {@code ScriptFailure} value, with the limit's figures.
 */
public final class BudgetExceededError extends Error {
    private static final long serialVersionUID = 1L;

    private final transient FailureKind kind;
    private final transient LimitHit limit;

    private BudgetExceededError(FailureKind kind, LimitHit limit, String message) {
        super(message, null, false, false);
        this.kind = kind;
        this.limit = limit;
    }

    public FailureKind kind() {
        return kind;
    }

    /** The limit and both figures, for the supervisor's log line and counters. */
    public LimitHit limit() {
        return limit;
    }

    /**
     * The one message template for every limit: names the figure, the limit and its key, e.g.
     * {@code instructions (10000001) exceeds the maximum allowed (10000000, from 'resource-limits.max-instructions')}.
     */
    public static BudgetExceededError of(FailureKind kind, String what, long actual, long maximum, String key) {
        LimitHit limit = LimitHit.newBuilder().setKey(key).setMaximum(maximum).setMeasured(actual)
                .setUnit(unit(kind)).build();
        return new BudgetExceededError(kind, limit,
                what + " (" + actual + ") exceeds the maximum allowed (" + maximum + ", from '" + key + "')");
    }

    /** The unit of a limit's figures. */
    static String unit(FailureKind kind) {
        return switch (kind) {
            case INSTRUCTION_LIMIT -> "instructions";
            case TIME_LIMIT -> "ms";
            case TABLE_LIMIT -> "entries";
            default -> "bytes"; // memory, string, body, ctx
        };
    }
}
