package io.zentinel.sentinel.lua.worker.sandbox;

import io.zentinel.sentinel.lua.protocol.v1.SandboxLimits;

/**
 * The limits of one Lua VM's script runs, checked once when the worker starts.
 *
 * <p>The supervisor fills every field of {@link SandboxLimits} from the configuration, which has
 * already rejected bad values; a zero here is a bug on the other side of the pipe, so it is
 * rejected rather than replaced by a default ("reject, never clamp").
 *
 * @param maxInstructions  Lua VM instructions per script run ({@code resource-limits.max-instructions})
 * @param maxMemoryBytes   growth of the worker's live heap a script run may cause, judged each time
 *                         the run has allocated this many more bytes ({@code resource-limits.max-memory})
 * @param maxExecutionMs   wall-clock budget of one whole event ({@code resource-limits.max-execution-time})
 * @param scriptTimeoutMs  wall-clock budget of one script run ({@code scripts.timeout})
 * @param maxStringBytes   longest string a script may build ({@code resource-limits.max-string-bytes})
 * @param maxTableEntries  entries in one table, whether a script or a library builds it
 *                         ({@code resource-limits.max-table-entries})
 * @param maxBodyBytes     largest body handed to the body hooks
 * @param maxCallDepth     nested Lua calls ({@code resource-limits.max-call-depth})
 * @param maxCoroutines    coroutines one script run may create ({@code resource-limits.max-coroutines}; 0 = none)
 * @param maxCtxBytes      encoded size of {@code sentinel.ctx} ({@code resource-limits.max-ctx-bytes})
 */
public record RunLimits(
        long maxInstructions,
        long maxMemoryBytes,
        long maxExecutionMs,
        long scriptTimeoutMs,
        long maxStringBytes,
        long maxTableEntries,
        long maxBodyBytes,
        int maxCallDepth,
        int maxCoroutines,
        long maxCtxBytes) {

    /** Deepest call depth accepted; each Lua call costs several Java frames on a 1 MiB stack. */
    public static final int MAX_CALL_DEPTH_LIMIT = 1000;

    public RunLimits {
        atLeastOne("max_instructions", maxInstructions);
        atLeastOne("max_memory_bytes", maxMemoryBytes);
        atLeastOne("max_execution_ms", maxExecutionMs);
        atLeastOne("script_timeout_ms", scriptTimeoutMs);
        atLeastOne("max_string_bytes", maxStringBytes);
        atLeastOne("max_table_entries", maxTableEntries);
        atLeastOne("max_body_bytes", maxBodyBytes);
        atLeastOne("max_call_depth", maxCallDepth);
        atLeastOne("max_ctx_bytes", maxCtxBytes);
        if (maxCallDepth > MAX_CALL_DEPTH_LIMIT) {
            throw new IllegalArgumentException("WorkerInit.limits.max_call_depth must be <= "
                    + MAX_CALL_DEPTH_LIMIT + " (was " + maxCallDepth + ")");
        }
        if (maxCoroutines < 0) {
            throw new IllegalArgumentException(
                    "WorkerInit.limits.max_coroutines must be >= 0 (was " + maxCoroutines + ")");
        }
    }

    /** The seed README's defaults: 10M instructions, 50 MB, 100 ms, 10 MB strings, 10,000 table entries. */
    public static RunLimits defaults() {
        return new RunLimits(10_000_000L, 50L * 1024 * 1024, 100, 100, 10L * 1024 * 1024, 10_000,
                1024 * 1024, 200, 16, 64 * 1024);
    }

    /**
     * The limits of a {@code WorkerInit}.
     *
     * @throws IllegalArgumentException naming the field and its value when one is out of range
     */
    public static RunLimits from(SandboxLimits proto) {
        return new RunLimits(proto.getMaxInstructions(), proto.getMaxMemoryBytes(),
                Integer.toUnsignedLong(proto.getMaxExecutionMs()), Integer.toUnsignedLong(proto.getScriptTimeoutMs()),
                proto.getMaxStringBytes(), Integer.toUnsignedLong(proto.getMaxTableEntries()), proto.getMaxBodyBytes(),
                proto.getMaxCallDepth(), proto.getMaxCoroutines(), proto.getMaxCtxBytes());
    }

    /** These limits as the pipe message (tests build a {@code WorkerInit} from them). */
    public SandboxLimits toProto() {
        return SandboxLimits.newBuilder()
                .setMaxInstructions(maxInstructions)
                .setMaxMemoryBytes(maxMemoryBytes)
                .setMaxExecutionMs((int) maxExecutionMs)
                .setScriptTimeoutMs((int) scriptTimeoutMs)
                .setMaxStringBytes(maxStringBytes)
                .setMaxTableEntries((int) maxTableEntries)
                .setMaxBodyBytes(maxBodyBytes)
                .setMaxCallDepth(maxCallDepth)
                .setMaxCoroutines(maxCoroutines)
                .setMaxCtxBytes(maxCtxBytes)
                .build();
    }

    public RunLimits withMaxInstructions(long value) {
        return new RunLimits(value, maxMemoryBytes, maxExecutionMs, scriptTimeoutMs, maxStringBytes,
                maxTableEntries, maxBodyBytes, maxCallDepth, maxCoroutines, maxCtxBytes);
    }

    public RunLimits withMaxMemoryBytes(long value) {
        return new RunLimits(maxInstructions, value, maxExecutionMs, scriptTimeoutMs, maxStringBytes,
                maxTableEntries, maxBodyBytes, maxCallDepth, maxCoroutines, maxCtxBytes);
    }

    public RunLimits withTimes(long executionMs, long scriptMs) {
        return new RunLimits(maxInstructions, maxMemoryBytes, executionMs, scriptMs, maxStringBytes,
                maxTableEntries, maxBodyBytes, maxCallDepth, maxCoroutines, maxCtxBytes);
    }

    public RunLimits withMaxStringBytes(long value) {
        return new RunLimits(maxInstructions, maxMemoryBytes, maxExecutionMs, scriptTimeoutMs, value,
                maxTableEntries, maxBodyBytes, maxCallDepth, maxCoroutines, maxCtxBytes);
    }

    public RunLimits withMaxTableEntries(long value) {
        return new RunLimits(maxInstructions, maxMemoryBytes, maxExecutionMs, scriptTimeoutMs, maxStringBytes,
                value, maxBodyBytes, maxCallDepth, maxCoroutines, maxCtxBytes);
    }

    public RunLimits withMaxCallDepth(int value) {
        return new RunLimits(maxInstructions, maxMemoryBytes, maxExecutionMs, scriptTimeoutMs, maxStringBytes,
                maxTableEntries, maxBodyBytes, value, maxCoroutines, maxCtxBytes);
    }

    public RunLimits withMaxCoroutines(int value) {
        return new RunLimits(maxInstructions, maxMemoryBytes, maxExecutionMs, scriptTimeoutMs, maxStringBytes,
                maxTableEntries, maxBodyBytes, maxCallDepth, value, maxCtxBytes);
    }

    public RunLimits withMaxCtxBytes(long value) {
        return new RunLimits(maxInstructions, maxMemoryBytes, maxExecutionMs, scriptTimeoutMs, maxStringBytes,
                maxTableEntries, maxBodyBytes, maxCallDepth, maxCoroutines, value);
    }

    public RunLimits withMaxBodyBytes(long value) {
        return new RunLimits(maxInstructions, maxMemoryBytes, maxExecutionMs, scriptTimeoutMs, maxStringBytes,
                maxTableEntries, value, maxCallDepth, maxCoroutines, maxCtxBytes);
    }

    private static void atLeastOne(String field, long value) {
        if (value < 1) {
            throw new IllegalArgumentException("WorkerInit.limits." + field + " must be >= 1 (was " + value + ")");
        }
    }
}
