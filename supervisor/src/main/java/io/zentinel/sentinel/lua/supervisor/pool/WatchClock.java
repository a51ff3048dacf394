package io.zentinel.sentinel.lua.supervisor.pool;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The time during which the supervisor was running to watch a worker: {@link System#nanoTime()}
 * less the stalls in which it did not run at all (a long collection pause, a SIGSTOP, a host
 * that gave it no CPU). Call deadlines are measured on it, so that a worker that answered while
 * the supervisor stood still is not killed for an answer waiting unread in its pipe.
 *
 * <p>A stall shows as a periodic task that ran late: every thread of the supervisor stood still,
 * so the task, the pipe's reader and anything else ran after it together. {@link #ranLate} adds
 * the lateness of such a task to the time not watched, when it exceeds {@link #STALL}; shorter
 * delays are ordinary scheduling and count as watched time.
 *
 * <p>Threads: {@link #now} from any thread; {@link #ranLate} from one thread at a time.
 */
final class WatchClock {
    /** Lateness of a periodic task past which the supervisor counts as having stalled. */
    static final Duration STALL = Duration.ofMillis(50);

    private final LongSupplier nanoTime;
    private volatile long unwatchedNanos;

    WatchClock() {
        this(System::nanoTime);
    }

    /** @param nanoTime the clock to follow, {@link System#nanoTime()} but in tests */
    WatchClock(LongSupplier nanoTime) {
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** The watched time, in nanoseconds on an arbitrary origin like {@link System#nanoTime()}. */
    long now() {
        return nanoTime.getAsLong() - unwatchedNanos;
    }

    /** The underlying clock, for scheduling: when a periodic task is due. */
    long nanoTime() {
        return nanoTime.getAsLong();
    }

    /**
     * A periodic task due at {@code dueNanos} (on {@link #nanoTime()}) runs now: when it is more
     * than {@link #STALL} late, the lateness was not watched.
     *
     * @return the nanoseconds counted as a stall, 0 for a task (about) on time
     */
    long ranLate(long dueNanos) {
        long stalled = stall(nanoTime.getAsLong() - dueNanos);
        unwatchedNanos += stalled;
        return stalled;
    }

    /** How much of a task's lateness was a stall: all of it past {@link #STALL}, else none. */
    static long stall(long lateNanos) {
        return lateNanos > STALL.toNanos() ? lateNanos : 0;
    }
}
