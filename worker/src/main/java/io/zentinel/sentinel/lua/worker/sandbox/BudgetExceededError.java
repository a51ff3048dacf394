package io.zentinel.sentinel.lua.worker.sandbox;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;

/**
 * A script run went past one of its limits.
 *
 * <p>An {@link Error}, not a {@code LuaError} or {@code RuntimeException}, on purpose: LuaJ's
 * {@code pcall}, {@code xpcall} and {@code LuaClosure.execute} catch only {@code LuaError} and
 * {@code Exception}, so a script cannot swallow it. The worker catches it at the boundary of the
 * script run and reports it as a {@code ScriptFailure} value.
 */
public final class BudgetExceededError extends Error {
    private static final long serialVersionUID = 1L;

    private final transient FailureKind kind;

    /**
     * @param message names the limit and both figures, e.g.
     *     {@code instructions (10000001) exceed the maximum allowed (10000000, from 'resource-limits.max-instructions')}
     */
    public BudgetExceededError(FailureKind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public FailureKind kind() {
        return kind;
    }

    /** The one message template for every limit: names the figure, the limit and its key. */
    public static BudgetExceededError of(FailureKind kind, String what, long actual, long maximum, String key) {
        return new BudgetExceededError(kind,
                what + " (" + actual + ") exceeds the maximum allowed (" + maximum + ", from '" + key + "')");
    }
}
