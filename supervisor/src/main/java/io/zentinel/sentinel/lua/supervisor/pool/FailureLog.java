package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.LimitHit;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * The log of failure-mode decisions: every one is reported at WARN, naming the script, the
 * cause and, for a limit, the limit's key and figures, with repeats collapsed per
 * (script, cause) so that a flood cannot drown the log.
 *
 * <p>Lines:
 * <pre>
 * script auth-check - hit resource-limits.max-instructions (10,000,000 instructions; reached 10,000,391) after 153 ms, answered fail-open (lua-agent:instruction-limit, event req-42)
 * script auth-check - script-error after 2.0 ms: auth.lua:3: boom, answered fail-closed (event req-43)
 * dispatcher - overloaded: safety.max-concurrent (64) events in flight, answered fail-open (event req-44)
 * script auth-check - hit resource-limits.max-instructions (10,000,000 instructions) 4,211 more times in the last 10.0 s, answered fail-open (lua-agent:instruction-limit; the last: reached 10,000,512 after 150 ms, event req-4300)
 * </pre>
 *
 * <p>Rate limit, per (script, cause): the first failure is logged in full and opens a window of
 * {@link #WINDOW}. Further failures of the pair within the window get a DEBUG line each and are
 * counted; once the window has ended (seen by the next failure of the pair, or by
 * {@link #flush()}, which the dispatcher calls every {@link #FLUSH_INTERVAL}) one WARN line
 * reports how many there were and the figures of the last one, and a new window starts. A pair
 * that keeps failing thus logs one WARN line per {@link #WINDOW}, and every failure appears in a
 * WARN line, in full or counted. A pair that stayed quiet for a whole window is forgotten, so
 * its next failure is logged in full again. At most {@value #MAX_PAIRS} pairs are tracked;
 * beyond that, script names fold into {@value DispatchCounters#OTHER_SCRIPTS}.
 *
 * <p>Thread-safe: called from the event threads and the sweeper thread. Nothing is logged while
 * a lock is held.
 */
final class FailureLog {
    static final Duration WINDOW = Duration.ofSeconds(10);
    /** How often the owner should call {@link #flush()}. */
    static final Duration FLUSH_INTERVAL = Duration.ofSeconds(1);
    static final int MAX_PAIRS = 4096;

    /**
     * One failure-mode decision.
     *
     * @param script        the script to blame, {@code null} when none is (no worker, overloaded …)
     * @param limit         the limit and its figures, when the worker sent them
     * @param elapsedMicros how long the script had run, 0 when unknown
     * @param detail        the worker's or the dispatcher's message
     */
    record Hit(String correlationId, FailureCause cause, String script, LimitHit limit, long elapsedMicros,
               String detail, boolean failOpen) {
    }

    private record Key(String script, FailureCause cause) {
    }

    private static final class Window {
        final ReentrantLock lock = new ReentrantLock();
        /** Whether a failure opened the window; a new one is not open yet. */
        boolean open;
        long start;
        long suppressed;
        Hit last;
        boolean closed;
    }

    private final Logger log;
    private final LongSupplier nanoClock;
    private final long windowNanos;
    private final Map<Key, Window> windows = new ConcurrentHashMap<>();

    FailureLog(Logger log, LongSupplier nanoClock) {
        this(log, nanoClock, WINDOW);
    }

    FailureLog(Logger log, LongSupplier nanoClock, Duration window) {
        this.log = Objects.requireNonNull(log, "log");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.windowNanos = window.toNanos();
    }

    void record(Hit hit) {
        Key key = key(hit);
        String summary = null;
        boolean full;
        while (true) {
            Window w = windows.computeIfAbsent(key, k -> new Window());
            w.lock.lock();
            try {
                if (w.closed) {
                    continue; // flush() just forgot it: take a new one
                }
                long now = nanoClock.getAsLong();
                if (!w.open || now - w.start >= windowNanos) {
                    if (w.suppressed > 0) {
                        summary = summary(key, w, now);
                    }
                    w.open = true;
                    w.start = now;
                    w.suppressed = 0;
                    w.last = hit;
                    full = true;
                } else {
                    w.suppressed++;
                    w.last = hit;
                    full = false;
                }
                break;
            } finally {
                w.lock.unlock();
            }
        }
        if (summary != null) {
            log.warn(summary);
        }
        if (full) {
            log.warn(line(hit));
        } else if (log.isDebugEnabled()) {
            log.debug(line(hit));
        }
    }

    /**
     * Reports the failures counted in windows that have ended, and forgets pairs that stayed
     * quiet. Never throws (it runs on a scheduled executor, which would stop calling it).
     */
    void flush() {
        try {
            summarize();
        } catch (RuntimeException e) {
            log.error("dispatcher - reporting collapsed failures failed", e);
        }
    }

    private void summarize() {
        long now = nanoClock.getAsLong();
        for (Map.Entry<Key, Window> e : windows.entrySet()) {
            Window w = e.getValue();
            String summary = null;
            w.lock.lock();
            try {
                if (now - w.start < windowNanos) {
                    continue;
                }
                if (w.suppressed > 0) {
                    summary = summary(e.getKey(), w, now);
                    w.start = now;
                    w.suppressed = 0;
                } else {
                    w.closed = true;
                    windows.remove(e.getKey(), w);
                }
            } finally {
                w.lock.unlock();
            }
            if (summary != null) {
                log.warn(summary);
            }
        }
    }

    /** Pairs tracked now. */
    int pairs() {
        return windows.size();
    }

    private Key key(Hit hit) {
        Key key = new Key(hit.script() == null ? "" : hit.script(), hit.cause());
        if (windows.size() >= MAX_PAIRS && !windows.containsKey(key)) {
            return new Key(DispatchCounters.OTHER_SCRIPTS, hit.cause());
        }
        return key;
    }

    // ------------------------------------------------------------------ text

    /** The full line of one failure. */
    static String line(Hit hit) {
        String mode = mode(hit);
        String event = "event " + hit.correlationId();
        if (hit.script() == null) {
            return "dispatcher - " + hit.cause().code() + ": " + hit.detail() + ", answered " + mode + " (" + event + ")";
        }
        String subject = "script " + hit.script() + " - ";
        LimitHit limit = hit.limit();
        if (limit != null) {
            return subject + "hit " + limit(limit) + "; reached " + number(limit.getMeasured()) + ")" + after(hit)
                    + ", answered " + mode + " (" + hit.cause().tag() + ", " + event + ")";
        }
        return subject + hit.cause().code() + after(hit) + ": " + hit.detail() + ", answered " + mode + " (" + event + ")";
    }

    private String summary(Key key, Window w, long now) {
        Hit last = w.last;
        String times = number(w.suppressed) + " more time" + (w.suppressed == 1 ? "" : "s") + " in the last "
                + String.format(Locale.ROOT, "%.1f s", (now - w.start) / 1e9);
        String mode = mode(last);
        String event = "event " + last.correlationId();
        if (last.script() == null) {
            return "dispatcher - " + key.cause().code() + " " + times + ", answered " + mode + " (the last: "
                    + last.detail() + ", " + event + ")";
        }
        String subject = "script " + key.script() + " - ";
        LimitHit limit = last.limit();
        if (limit != null) {
            return subject + "hit " + limit(limit) + ") " + times + ", answered " + mode + " (" + key.cause().tag()
                    + "; the last: reached " + number(limit.getMeasured()) + after(last) + ", " + event + ")";
        }
        return subject + key.cause().code() + " " + times + ", answered " + mode + " (the last" + after(last) + ": "
                + last.detail() + ", " + event + ")";
    }

    /** {@code resource-limits.max-instructions (10,000,000 instructions} (the caller closes the parenthesis). */
    private static String limit(LimitHit limit) {
        return limit.getKey() + " (" + number(limit.getMaximum()) + " " + limit.getUnit();
    }

    private static String after(Hit hit) {
        if (hit.elapsedMicros() <= 0) {
            return "";
        }
        double ms = hit.elapsedMicros() / 1000.0;
        return " after " + (ms < 10 ? String.format(Locale.ROOT, "%.1f", ms) : number(Math.round(ms))) + " ms";
    }

    private static String mode(Hit hit) {
        return hit.failOpen() ? "fail-open" : "fail-closed";
    }

    private static String number(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
