package io.zentinel.sentinel.lua.supervisor.pool;

/** Not one worker of the first generation got ready; the message names each worker's reason. */
public final class PoolStartException extends Exception {
    private static final long serialVersionUID = 1L;

    public PoolStartException(String message) {
        super(message);
    }
}
