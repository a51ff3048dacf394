package io.zentinel.sentinel.lua.worker;

import java.util.concurrent.ThreadLocalRandom;

import io.zentinel.sentinel.lua.protocol.v1.VmRenewal;

/**
 * When one Lua VM is due to be replaced by a fresh one: {@code vm-pool.max-executions} calls or
 * {@code vm-pool.max-age}, whichever comes first, checked as the VM finishes a call.
 *
 * <p>Each limit is shortened by up to {@link #JITTER} at random, drawn anew for every VM
 * generation: the VMs of a worker take calls in turn, so without it they would all renew on the
 * same few calls. Owned by the VM's thread; not thread-safe.
 */
final class VmLifetime {
    /** Largest fraction by which a VM generation's limits are shortened (as the supervisor's for workers). */
    static final double JITTER = 0.025;

    /** Calls per generation; {@link Long#MAX_VALUE} for no limit (never reached). */
    private final long maxExecutions;
    /** Nanoseconds per generation; 0 for no limit. */
    private final long maxAgeNanos;
    private long executionsLeft;
    private long dueNanos;

    /** @param renewal the limits of the init; a limit of 0 never makes the VM due */
    VmLifetime(VmRenewal renewal, long nowNanos) {
        check(renewal);
        long executions = renewal.getMaxExecutions();
        // Above Long.MAX_VALUE as unsigned: never reached either.
        this.maxExecutions = executions <= 0 ? Long.MAX_VALUE : executions;
        this.maxAgeNanos = renewal.getMaxAgeMs() * 1_000_000;
        restart(nowNanos);
    }

    /** Rejects limits the nanosecond clock cannot hold, before any VM starts. */
    static void check(VmRenewal renewal) {
        long maxAgeMs = renewal.getMaxAgeMs();
        if (maxAgeMs < 0 || maxAgeMs > Long.MAX_VALUE / 2_000_000) {
            throw new IllegalArgumentException("WorkerInit.vm_renewal.max_age_ms is out of range (was "
                    + Long.toUnsignedString(maxAgeMs) + ")");
        }
    }

    /** The VM finished a call; whether it is now due for renewal. */
    boolean executedIsDue(long nowNanos) {
        return --executionsLeft <= 0 || (maxAgeNanos > 0 && nowNanos - dueNanos >= 0);
    }

    /** A new VM generation starts now; also after a renewal that was given up, which waits as long again. */
    void restart(long nowNanos) {
        executionsLeft = maxExecutions == Long.MAX_VALUE ? Long.MAX_VALUE : jittered(maxExecutions);
        dueNanos = nowNanos + jittered(maxAgeNanos);
    }

    /** {@code limit} less up to {@link #JITTER} of it, never below 1 (0 stays 0). */
    private static long jittered(long limit) {
        if (limit == 0) {
            return 0;
        }
        long cut = (long) Math.floor(ThreadLocalRandom.current().nextDouble() * JITTER * limit);
        return Math.max(1, limit - cut);
    }
}
