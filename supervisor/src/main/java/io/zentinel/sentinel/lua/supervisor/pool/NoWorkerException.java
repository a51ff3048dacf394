package io.zentinel.sentinel.lua.supervisor.pool;

/** No worker was ready within the acquire timeout (or the pool is closed); answer with the failure mode. */
public final class NoWorkerException extends Exception {
    private static final long serialVersionUID = 1L;

    public NoWorkerException(String message) {
        super(message, null, false, false);
    }
}
