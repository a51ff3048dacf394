package io.zentinel.sentinel.lua.worker.lua.lib;

import java.time.Duration;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.worker.sandbox.BudgetExceededError;
import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;

/**
 * A hand-written {@link ExecutionGuard} for tests: fixed string and table limits, and an optional
 * deadline that starts when the guard is created. It counts deadline checks so tests can see
 * that long Java-side loops consult it.
 */
final class TestGuard implements ExecutionGuard {

    static final long DEFAULT_MAX_STRING_BYTES = 10L * 1024 * 1024;
    static final long DEFAULT_MAX_TABLE_ENTRIES = 10_000;

    private final long maxStringBytes;
    private final long maxTableEntries;
    private final long deadlineNanos;
    private final long limitMillis;
    private final long start = System.nanoTime();
    private long deadlineChecks;

    private TestGuard(long maxStringBytes, long maxTableEntries, Duration deadline) {
        this.maxStringBytes = maxStringBytes;
        this.maxTableEntries = maxTableEntries;
        this.limitMillis = deadline == null ? -1 : deadline.toMillis();
        this.deadlineNanos = deadline == null ? Long.MAX_VALUE : start + deadline.toNanos();
    }

    /** The README's defaults (10 MB strings, 10,000 table entries) and no deadline. */
    static TestGuard lenient() {
        return new TestGuard(DEFAULT_MAX_STRING_BYTES, DEFAULT_MAX_TABLE_ENTRIES, null);
    }

    static TestGuard withLimits(long maxStringBytes, long maxTableEntries) {
        return new TestGuard(maxStringBytes, maxTableEntries, null);
    }

    /** Default limits and a deadline {@code deadline} from now. */
    static TestGuard withDeadline(Duration deadline) {
        return new TestGuard(DEFAULT_MAX_STRING_BYTES, DEFAULT_MAX_TABLE_ENTRIES, deadline);
    }

    long deadlineChecks() {
        return deadlineChecks;
    }

    @Override
    public void checkDeadline() {
        deadlineChecks++;
        long now = System.nanoTime();
        if (now - deadlineNanos > 0) {
            throw BudgetExceededError.of(FailureKind.TIME_LIMIT, "execution time in ms",
                    (now - start) / 1_000_000, limitMillis, "resource-limits.max-execution-time");
        }
    }

    @Override
    public void checkStringLength(long bytes) {
        if (bytes > maxStringBytes) {
            throw BudgetExceededError.of(FailureKind.STRING_LIMIT, "string length", bytes, maxStringBytes,
                    "resource-limits.max-string-bytes");
        }
    }

    @Override
    public void checkTableSize(long entries) {
        if (entries > maxTableEntries) {
            throw BudgetExceededError.of(FailureKind.TABLE_LIMIT, "table size", entries, maxTableEntries,
                    "resource-limits.max-table-entries");
        }
    }

    @Override
    public long maxStringBytes() {
        return maxStringBytes;
    }

    @Override
    public long maxTableEntries() {
        return maxTableEntries;
    }
}
