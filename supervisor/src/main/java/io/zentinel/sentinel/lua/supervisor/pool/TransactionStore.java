package io.zentinel.sentinel.lua.supervisor.pool;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ResponseInfo;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-transaction state, keyed by correlation id and shared by all proxy connections (agent
 * protocol v2, §4: the events of one transaction may arrive on different connections).
 *
 * <p>Keeps the request of RequestHeaders (so that response-phase calls can be routed by path and
 * method), the response of ResponseHeaders (for response-body calls), the {@code sentinel.ctx}
 * the worker returned, and the body bytes buffered per direction until the last chunk.
 *
 * <p>Bounded three ways: an entry expires after {@code idleTimeout} without events
 * ({@link #sweep()}, run periodically); at most {@code maxEntries} entries (when full, expired
 * ones are swept and then the least recently used tenth is evicted); a body buffer holds at most
 * scripts.max-body-bytes, and all buffers together at most {@code maxBufferedBytes}. A body over
 * either cap is dropped and reported as {@link BodyProgress#overLimit()}; the rest of that body
 * is refused too, until its last chunk.
 *
 * <p>Thread-safe: every change of an entry happens inside {@link ConcurrentHashMap#compute}.
 */
public final class TransactionStore {
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final int DEFAULT_MAX_ENTRIES = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(TransactionStore.class);

    /** Which body a chunk belongs to. */
    public enum Direction { REQUEST, RESPONSE }

    /**
     * Result of {@link #appendBody}.
     *
     * @param overLimit the body exceeded a cap and was dropped; {@code reason} says which
     * @param size      bytes buffered for this body so far (before dropping)
     * @param body      the whole body when the chunk was the last one, else empty
     */
    public record BodyProgress(boolean overLimit, long size, ByteString body, String reason) {
    }

    private static final class Transaction {
        volatile RequestInfo request = RequestInfo.getDefaultInstance();
        volatile ResponseInfo response = ResponseInfo.getDefaultInstance();
        volatile ByteString ctx = ByteString.EMPTY;
        volatile long touchedNanos;
        final ByteString[] bodies = {ByteString.EMPTY, ByteString.EMPTY};
        final boolean[] overflowed = new boolean[2];

        Transaction(long now) {
            touchedNanos = now;
        }

        long buffered() {
            return bodies[0].size() + bodies[1].size();
        }
    }

    private final long maxBodyBytes;
    private final long maxBufferedBytes;
    private final long idleNanos;
    private final int maxEntries;
    private final LongSupplier clock;
    private final Map<String, Transaction> transactions = new ConcurrentHashMap<>();
    private final AtomicLong buffered = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();

    /**
     * A store with the default idle timeout and entry bound; bodies are capped at
     * scripts.max-body-bytes each and at safety.max-concurrent of those together.
     */
    public TransactionStore(AgentConfig config) {
        this(config.scripts().maxBodyBytes(), totalCap(config.scripts().maxBodyBytes(), config.safety().maxConcurrent()),
                DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_ENTRIES, System::nanoTime);
    }

    private static long totalCap(long maxBodyBytes, long maxConcurrent) {
        try {
            return Math.multiplyExact(maxBodyBytes, Math.max(1, maxConcurrent));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** @param clock nanosecond time source ({@code System::nanoTime}; a fake one in tests) */
    public TransactionStore(long maxBodyBytes, long maxBufferedBytes, Duration idleTimeout, int maxEntries,
                            LongSupplier clock) {
        if (maxBodyBytes < 0 || maxBufferedBytes < 0 || maxEntries < 1) {
            throw new IllegalArgumentException("body caps must be >= 0 and maxEntries >= 1");
        }
        this.maxBodyBytes = maxBodyBytes;
        this.maxBufferedBytes = maxBufferedBytes;
        this.idleNanos = idleTimeout.toNanos();
        this.maxEntries = maxEntries;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** How often {@link #sweep()} should run: a fifth of the idle timeout, at least a second. */
    public Duration sweepInterval() {
        return Duration.ofNanos(Math.max(Duration.ofSeconds(1).toNanos(), idleNanos / 5));
    }

    /**
     * RequestHeaders: a new transaction starts under {@code id}. Whatever was kept under the same
     * id before (ids are not unique) is dropped, ctx included.
     */
    public void startTransaction(String id, RequestInfo request) {
        makeRoom(id);
        long now = clock.getAsLong();
        transactions.compute(id, (key, old) -> {
            if (old != null) {
                buffered.addAndGet(-old.buffered());
            }
            Transaction t = new Transaction(now);
            t.request = request;
            return t;
        });
    }

    /** ResponseHeaders: remembers the response for the response-body phase. */
    public void rememberResponse(String id, ResponseInfo response) {
        update(id, t -> t.response = response);
    }

    /** The request of the transaction, or an empty one when unknown (expired, or never seen here). */
    public RequestInfo request(String id) {
        Transaction t = touch(id);
        return t == null ? RequestInfo.getDefaultInstance() : t.request;
    }

    /** The response of the transaction, or an empty one when unknown. */
    public ResponseInfo response(String id) {
        Transaction t = touch(id);
        return t == null ? ResponseInfo.getDefaultInstance() : t.response;
    }

    /** The transaction's {@code sentinel.ctx} (JSON), empty when none was set. */
    public ByteString ctx(String id) {
        Transaction t = touch(id);
        return t == null ? ByteString.EMPTY : t.ctx;
    }

    /** Keeps the ctx a worker returned with {@code ctx_changed}. */
    public void updateCtx(String id, ByteString ctx) {
        update(id, t -> t.ctx = ctx);
    }

    /**
     * Buffers one chunk of a body.
     *
     * @return the whole body when {@code last}; an over-limit progress when the body (or all
     *         buffers together) would exceed its cap, in which case the buffer is dropped
     */
    public BodyProgress appendBody(String id, Direction direction, byte[] data, boolean last) {
        makeRoom(id);
        long now = clock.getAsLong();
        int d = direction.ordinal();
        BodyProgress[] progress = new BodyProgress[1];
        transactions.compute(id, (key, existing) -> {
            Transaction t = existing != null ? existing : new Transaction(now);
            t.touchedNanos = now;
            ByteString before = t.bodies[d];
            long size = (long) before.size() + data.length;
            String reason = null;
            if (t.overflowed[d]) {
                reason = direction.name().toLowerCase(Locale.ROOT) + " body already exceeded its cap";
            } else if (size > maxBodyBytes) {
                reason = direction.name().toLowerCase(Locale.ROOT) + " body (" + size + " bytes) exceeds the maximum allowed ("
                        + maxBodyBytes + ", from 'scripts.max-body-bytes')";
            } else if (buffered.get() + data.length > maxBufferedBytes) {
                reason = "buffered bodies (" + (buffered.get() + data.length) + " bytes) exceed the maximum allowed ("
                        + maxBufferedBytes + ", scripts.max-body-bytes x safety.max-concurrent)";
            }
            if (reason != null) {
                buffered.addAndGet(-before.size());
                t.bodies[d] = ByteString.EMPTY;
                t.overflowed[d] = !last;
                progress[0] = new BodyProgress(true, size, ByteString.EMPTY, reason);
                return t;
            }
            ByteString body = before.concat(ByteString.copyFrom(data));
            if (last) {
                buffered.addAndGet(-before.size());
                t.bodies[d] = ByteString.EMPTY;
                progress[0] = new BodyProgress(false, size, body, null);
            } else {
                buffered.addAndGet(data.length);
                t.bodies[d] = body;
                progress[0] = new BodyProgress(false, size, ByteString.EMPTY, null);
            }
            return t;
        });
        return progress[0];
    }

    /** Drops the transaction (its last event was handled). */
    public void forget(String id) {
        transactions.computeIfPresent(id, (key, t) -> {
            buffered.addAndGet(-t.buffered());
            return null;
        });
    }

    /** Removes entries idle for longer than the idle timeout; returns how many. */
    public int sweep() {
        long now = clock.getAsLong();
        int removed = 0;
        for (String id : List.copyOf(transactions.keySet())) {
            boolean[] expired = new boolean[1];
            transactions.computeIfPresent(id, (key, t) -> {
                if (now - t.touchedNanos >= idleNanos) {
                    buffered.addAndGet(-t.buffered());
                    expired[0] = true;
                    return null;
                }
                return t;
            });
            if (expired[0]) {
                removed++;
            }
        }
        if (removed > 0) {
            LOG.debug("transactions - {} expired after {} idle", removed, Duration.ofNanos(idleNanos));
        }
        return removed;
    }

    /** Number of transactions kept. */
    public int size() {
        return transactions.size();
    }

    /** Body bytes buffered over all transactions. */
    public long bufferedBytes() {
        return buffered.get();
    }

    private Transaction touch(String id) {
        Transaction t = transactions.get(id);
        if (t != null) {
            t.touchedNanos = clock.getAsLong();
        }
        return t;
    }

    private void update(String id, Consumer<Transaction> change) {
        makeRoom(id);
        long now = clock.getAsLong();
        transactions.compute(id, (key, existing) -> {
            Transaction t = existing != null ? existing : new Transaction(now);
            t.touchedNanos = now;
            change.accept(t);
            return t;
        });
    }

    /** Before adding {@code id}: when full, sweep; still full, evict the least recently used tenth. */
    private void makeRoom(String id) {
        if (transactions.size() < maxEntries || transactions.containsKey(id)) {
            return;
        }
        sweep();
        if (transactions.size() < maxEntries) {
            return;
        }
        List<Map.Entry<String, Long>> byAge = new ArrayList<>();
        transactions.forEach((key, t) -> byAge.add(Map.entry(key, t.touchedNanos)));
        byAge.sort(Comparator.comparingLong(e -> e.getValue()));
        int evict = Math.max(1, maxEntries / 10);
        for (int i = 0; i < evict && i < byAge.size(); i++) {
            forget(byAge.get(i).getKey());
        }
        long total = evictions.addAndGet(evict);
        if (total == evict) {
            LOG.warn("transactions - {} entries kept (the maximum), evicting the least recently used {} at a time;"
                    + " their ctx and buffered bodies are lost (logged once)", maxEntries, evict);
        } else {
            LOG.debug("transactions - full, evicted {} ({} so far)", evict, total);
        }
    }

    /** Transactions evicted because the store was full (not counting expiry). */
    public long evictions() {
        return evictions.get();
    }
}
