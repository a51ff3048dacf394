package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;

/**
 * Why an event got the failure-mode decision (safety.fail-open) instead of a script's verdict.
 *
 * <p>The one list of cause names: they appear in the audit tags ({@code lua-agent:<code>}) and
 * reason codes of the response, in the log, and as the keys of the failure counters.
 */
public enum FailureCause {
    /** A script raised an error, failed at runtime or returned something unusable. */
    SCRIPT_ERROR("script-error"),
    /** resource-limits.max-instructions. */
    INSTRUCTION_LIMIT("instruction-limit"),
    /** resource-limits.max-execution-time or scripts.timeout; also a worker killed for overrunning its deadline. */
    TIME_LIMIT("time-limit"),
    /**
     * resource-limits.max-memory; also the calls of a worker the kernel killed at its cgroup's
     * memory limit (workers.memory-bytes).
     */
    MEMORY_LIMIT("memory-limit"),
    /** resource-limits.max-string-bytes. */
    STRING_LIMIT("string-limit"),
    /** resource-limits.max-table-entries. */
    TABLE_LIMIT("table-limit"),
    /** scripts.max-body-bytes: the buffered body got too large. */
    BODY_LIMIT("body-limit"),
    /** resource-limits.max-ctx-bytes. */
    CTX_LIMIT("ctx-limit"),
    /** The worker process ended without being told to. */
    WORKER_CRASHED("worker-crashed"),
    /**
     * The worker was killed while the call was in flight: by the supervisor (for another call's
     * overrun, a missed heartbeat, a breach) or by the kernel at workers.cpu-seconds.
     */
    WORKER_KILLED("worker-killed"),
    /** No worker was ready within the acquire timeout (none started, all crashed or starting). */
    NO_WORKER("no-worker"),
    /**
     * safety.max-concurrent events were already being handled, or no Lua VM of the ready workers
     * became free within the acquire timeout ("no free Lua VM").
     */
    OVERLOADED("overloaded"),
    /** The proxy's event could not be decoded. */
    MALFORMED_EVENT("malformed-event"),
    /** A bug on our side: an unexpected exception, or a worker answer that breaks the pipe contract. */
    INTERNAL_ERROR("internal-error");

    private final String code;

    FailureCause(String code) {
        this.code = code;
    }

    /** The name used in tags, reason codes, logs and metrics, e.g. {@code script-error}. */
    public String code() {
        return code;
    }

    /** The audit tag of this cause: {@code lua-agent:<code>}. */
    public String tag() {
        return "lua-agent:" + code;
    }

    /** The cause of a failure the worker reported as a value. */
    public static FailureCause of(FailureKind kind) {
        return switch (kind) {
            case INSTRUCTION_LIMIT -> INSTRUCTION_LIMIT;
            case TIME_LIMIT -> TIME_LIMIT;
            case MEMORY_LIMIT -> MEMORY_LIMIT;
            case STRING_LIMIT -> STRING_LIMIT;
            case TABLE_LIMIT -> TABLE_LIMIT;
            case BODY_LIMIT -> BODY_LIMIT;
            case CTX_LIMIT -> CTX_LIMIT;
            case SCRIPT_ERROR, FAILURE_UNSPECIFIED, UNRECOGNIZED -> SCRIPT_ERROR;
        };
    }
}
