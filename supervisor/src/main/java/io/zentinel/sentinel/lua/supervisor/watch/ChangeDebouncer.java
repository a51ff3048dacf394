package io.zentinel.sentinel.lua.supervisor.watch;

import java.time.Duration;

/**
 * Collapses a burst of changes into one: due {@code quiet} after the last change of the burst,
 * but never later than {@code maxDelay} after its first change (so a directory that never goes
 * quiet is still reloaded). Times are {@link System#nanoTime()} values passed in by the caller,
 * which lets tests drive it with a fake clock. Not thread-safe: one owner thread.
 */
final class ChangeDebouncer {
    private final long quietNanos;
    private final long maxDelayNanos;
    private boolean pending;
    private long firstNanos;
    private long lastNanos;

    ChangeDebouncer(Duration quiet, Duration maxDelay) {
        if (quiet.isNegative() || maxDelay.compareTo(quiet) < 0) {
            throw new IllegalArgumentException("need 0 <= quiet <= maxDelay (was " + quiet + ", " + maxDelay + ")");
        }
        this.quietNanos = quiet.toNanos();
        this.maxDelayNanos = maxDelay.toNanos();
    }

    /** A change was seen at {@code now}. */
    void changed(long now) {
        if (!pending) {
            pending = true;
            firstNanos = now;
        }
        lastNanos = now;
    }

    boolean pending() {
        return pending;
    }

    /** When the pending burst is due; only meaningful while {@link #pending()}. */
    long dueAt() {
        long quietEnd = lastNanos + quietNanos;
        long hardEnd = firstNanos + maxDelayNanos;
        return quietEnd - hardEnd < 0 ? quietEnd : hardEnd;
    }

    /** Whether a burst is pending and due at {@code now}. */
    boolean isDue(long now) {
        return pending && now - dueAt() >= 0;
    }

    /** The burst was handled; the next change starts a new one. */
    void clear() {
        pending = false;
    }
}
