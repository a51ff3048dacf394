package io.zentinel.sentinel.lua.supervisor.pool;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash-loop protection of the {@link WorkerPool}: how long to wait before relaunching after an
 * unplanned worker death.
 *
 * <p>A death within {@link WorkerPool.Tuning#earlyDeathWindow()} of the worker's launch is an
 * <em>early</em> death: the n-th in a row delays the relaunch by {@code initialBackoff * 2^(n-1)},
 * capped at {@code maxBackoff}. A death after a longer life ends the loop (no delay), and so does
 * {@link #resetIfHealthy()} once no early death happened for {@code healthyPeriod}.
 *
 * <p>Not thread-safe: the pool calls it under its lock.
 */
final class RestartBackoff {
    private static final Logger LOG = LoggerFactory.getLogger(RestartBackoff.class);

    private final WorkerPool.Tuning tuning;
    private final LongSupplier clock;
    private int earlyDeaths;
    private long lastEarlyDeathNanos;
    private String lastEarlyDeath;
    private Duration backoff = Duration.ZERO;

    RestartBackoff(WorkerPool.Tuning tuning, LongSupplier clock) {
        this.tuning = tuning;
        this.clock = clock;
    }

    /**
     * Counts an unplanned death after {@code lifetimeNanos}; returns the delay before the relaunch.
     *
     * @param what how the worker ended, e.g. {@code worker-7 - exited with status 1}, kept for
     *             {@code status} while the loop lasts
     */
    Duration onDeath(long lifetimeNanos, String what) {
        if (lifetimeNanos >= tuning.earlyDeathWindow().toNanos()) {
            if (earlyDeaths > 0) {
                LOG.info("pool - crash loop over: a worker lived {} s", TimeUnit.NANOSECONDS.toSeconds(lifetimeNanos));
            }
            reset();
            return backoff;
        }
        earlyDeaths++;
        lastEarlyDeath = what;
        lastEarlyDeathNanos = clock.getAsLong();
        long initial = tuning.initialBackoff().toNanos();
        long cap = tuning.maxBackoff().toNanos();
        int doublings = Math.min(earlyDeaths - 1, 62);
        long delay = initial > (cap >> doublings) ? cap : Math.min(cap, initial << doublings);
        backoff = Duration.ofNanos(delay);
        return backoff;
    }

    /** Ends the loop when no early death happened for the healthy period; returns whether it did. */
    boolean resetIfHealthy() {
        if (earlyDeaths > 0 && clock.getAsLong() - lastEarlyDeathNanos >= tuning.healthyPeriod().toNanos()) {
            LOG.info("pool - no early worker death for {}, crash-loop backoff reset", tuning.healthyPeriod());
            reset();
            return true;
        }
        return false;
    }

    /** The delay a relaunch gets now: the latest backoff while looping, else zero. */
    Duration current() {
        return backoff;
    }

    WorkerPool.CrashLoop status() {
        return new WorkerPool.CrashLoop(earlyDeaths, backoff, lastEarlyDeath);
    }

    private void reset() {
        earlyDeaths = 0;
        lastEarlyDeath = null;
        backoff = Duration.ZERO;
    }
}
