package io.zentinel.sentinel.lua.supervisor.pool;

import java.util.Objects;

/**
 * No worker could take the call within the acquire timeout, or the pool is closed; answer with
 * the failure mode. {@link #failureCause()} says which: {@link FailureCause#NO_WORKER} (none was
 * ready) or {@link FailureCause#OVERLOADED} (workers were ready, but every Lua VM stayed busy).
 */
public final class NoWorkerException extends Exception {
    private static final long serialVersionUID = 1L;

    private final FailureCause cause;

    /** No worker was ready (cause {@link FailureCause#NO_WORKER}). */
    public NoWorkerException(String message) {
        this(FailureCause.NO_WORKER, message);
    }

    public NoWorkerException(FailureCause cause, String message) {
        super(message, null, false, false);
        this.cause = Objects.requireNonNull(cause, "cause");
    }

    /** How the decision policy classifies this failure. */
    public FailureCause failureCause() {
        return cause;
    }
}
