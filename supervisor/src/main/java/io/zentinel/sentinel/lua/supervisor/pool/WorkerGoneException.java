package io.zentinel.sentinel.lua.supervisor.pool;

import java.util.Objects;

/**
 * A call (or a start) that cannot be answered because its worker process is gone or was killed.
 * Completes the call's future; never thrown across a process boundary.
 */
public final class WorkerGoneException extends Exception {
    private static final long serialVersionUID = 1L;

    private final FailureCause cause;

    /**
     * @param cause  {@link FailureCause#WORKER_CRASHED}, {@link FailureCause#WORKER_KILLED} or
     *               {@link FailureCause#TIME_LIMIT} (the call that overran its deadline)
     * @param reason what happened, for the log, e.g. {@code worker-3 - killed: missed heartbeat}
     */
    public WorkerGoneException(FailureCause cause, String reason) {
        super(reason, null, false, false);
        this.cause = Objects.requireNonNull(cause, "cause");
    }

    /** How the decision policy classifies this failure. */
    public FailureCause failureCause() {
        return cause;
    }
}
