package io.zentinel.sentinel.lua.supervisor.pool;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ResponseInfo;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-transaction state, keyed by correlation id and shared by all proxy connections (agent
 * protocol v2, §4: the events of one transaction may arrive on different connections).
 *
 * <p>Keeps the request of RequestHeaders (so that later-phase calls can be routed by path and
 * method), the response of ResponseHeaders (for response-body calls), the {@code sentinel.ctx}
 * the worker returned, and the body bytes buffered per direction until the last chunk. What is
 * worth keeping is the {@link EventDispatcher}'s call: it stores state only when a hook of a
 * later phase is loaded, and forgets the transaction when no later call can use it.
 *
 * <p>Bounded three ways: an entry expires after {@code idleTimeout} without events (a read finds
 * it gone; {@link #sweep()}, run periodically, frees it); at most {@code maxEntries} entries
 * (when full, expired ones are swept and then the least recently used tenth is evicted); a body
 * buffer holds at most scripts.max-body-bytes, and all buffers together at most
 * {@link BodyBufferCap#bytes()}. A body over either cap is dropped and reported as
 * {@link BodyProgress#overLimit()}; the rest of that body is refused too, until its last chunk.
 *
 * <p>Thread-safe: one lock guards an access-ordered {@link LinkedHashMap}, whose head is the least
 * recently used entry and, since each use stamps the clock under the lock, also the longest idle.
 * Expiry and eviction therefore take entries from the head: they cost what they remove, with no
 * scan or sort of the whole store. Nothing blocks under the lock.
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

    /** Guarded by the store's lock. */
    private static final class Transaction {
        RequestInfo request = RequestInfo.getDefaultInstance();
        ResponseInfo response = ResponseInfo.getDefaultInstance();
        ByteString ctx = ByteString.EMPTY;
        long touchedNanos;
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
    private final BodyBufferCap bufferCap;
    private final long idleNanos;
    private final int maxEntries;
    private final LongSupplier clock;
    private final ReentrantLock lock = new ReentrantLock();
    /** Access order: least recently used first. Guarded by {@link #lock}. */
    private final LinkedHashMap<String, Transaction> transactions = new LinkedHashMap<>(64, 0.75f, true);
    /** Body bytes buffered over all transactions. Guarded by {@link #lock}. */
    private long buffered;
    private final AtomicLong evictions = new AtomicLong();

    /**
     * A store with the default idle timeout and entry bound; bodies are capped at
     * scripts.max-body-bytes each, and together by {@link BodyBufferCap} for this JVM's heap.
     * Logs a warning when a body of scripts.max-body-bytes would not fit under that cap.
     */
    public TransactionStore(AgentConfig config) {
        this(config.scripts().maxBodyBytes(), BodyBufferCap.of(config.scripts().maxBodyBytes(),
                config.safety().maxConcurrent(), Runtime.getRuntime().maxMemory()),
                DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_ENTRIES, System::nanoTime);
        if (bufferCap.bytes() < maxBodyBytes) {
            LOG.warn("transactions - scripts.max-body-bytes ({} bytes) is more than the supervisor buffers for all "
                    + "bodies together ({} bytes, {}): larger bodies get the body-limit decision",
                    maxBodyBytes, bufferCap.bytes(), bufferCap.source());
        }
    }

    /** @param clock nanosecond time source ({@code System::nanoTime}; a fake one in tests) */
    public TransactionStore(long maxBodyBytes, BodyBufferCap bufferCap, Duration idleTimeout, int maxEntries,
                            LongSupplier clock) {
        if (maxBodyBytes < 0 || maxEntries < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be >= 0 and maxEntries >= 1");
        }
        this.maxBodyBytes = maxBodyBytes;
        this.bufferCap = Objects.requireNonNull(bufferCap, "bufferCap");
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
        lock.lock();
        try {
            drop(transactions.remove(id));
            makeRoom();
            Transaction t = new Transaction(clock.getAsLong());
            t.request = request;
            transactions.put(id, t);
        } finally {
            lock.unlock();
        }
    }

    /** ResponseHeaders: remembers the response for the response-body phase. */
    public void rememberResponse(String id, ResponseInfo response) {
        lock.lock();
        try {
            getOrCreate(id).response = response;
        } finally {
            lock.unlock();
        }
    }

    /** The request of the transaction, or an empty one when unknown (expired, or never seen here). */
    public RequestInfo request(String id) {
        lock.lock();
        try {
            Transaction t = get(id);
            return t == null ? RequestInfo.getDefaultInstance() : t.request;
        } finally {
            lock.unlock();
        }
    }

    /** The response of the transaction, or an empty one when unknown. */
    public ResponseInfo response(String id) {
        lock.lock();
        try {
            Transaction t = get(id);
            return t == null ? ResponseInfo.getDefaultInstance() : t.response;
        } finally {
            lock.unlock();
        }
    }

    /** The transaction's {@code sentinel.ctx} (JSON), empty when none was set. */
    public ByteString ctx(String id) {
        lock.lock();
        try {
            Transaction t = get(id);
            return t == null ? ByteString.EMPTY : t.ctx;
        } finally {
            lock.unlock();
        }
    }

    /** Keeps the ctx a worker returned with {@code ctx_changed}. */
    public void updateCtx(String id, ByteString ctx) {
        lock.lock();
        try {
            getOrCreate(id).ctx = ctx;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Buffers one chunk of a body. The chunk is kept as given, not copied: the whole body of a
     * body that is this one chunk is {@code chunk} itself.
     *
     * @return the whole body when {@code last}; an over-limit progress when the body (or all
     *         buffers together) would exceed its cap, in which case the buffer is dropped
     */
    public BodyProgress appendBody(String id, Direction direction, ByteString chunk, boolean last) {
        int length = chunk.size();
        int d = direction.ordinal();
        lock.lock();
        try {
            Transaction t = getOrCreate(id);
            ByteString before = t.bodies[d];
            long size = (long) before.size() + length;
            String reason = null;
            if (t.overflowed[d]) {
                reason = direction.name().toLowerCase(Locale.ROOT) + " body already exceeded its cap";
            } else if (size > maxBodyBytes) {
                reason = direction.name().toLowerCase(Locale.ROOT) + " body (" + size + " bytes) exceeds the maximum allowed ("
                        + maxBodyBytes + ", from 'scripts.max-body-bytes')";
            } else if (buffered + length > bufferCap.bytes()) {
                reason = "buffered bodies (" + (buffered + length) + " bytes) exceed the maximum allowed ("
                        + bufferCap.bytes() + ", " + bufferCap.source() + ")";
            }
            if (reason != null) {
                buffered -= before.size();
                t.bodies[d] = ByteString.EMPTY;
                t.overflowed[d] = !last;
                return new BodyProgress(true, size, ByteString.EMPTY, reason);
            }
            ByteString body = before.concat(chunk);
            if (last) {
                buffered -= before.size();
                t.bodies[d] = ByteString.EMPTY;
                return new BodyProgress(false, size, body, null);
            }
            buffered += length;
            t.bodies[d] = body;
            return new BodyProgress(false, size, ByteString.EMPTY, null);
        } finally {
            lock.unlock();
        }
    }

    /** Drops the transaction (its last event was handled, or nothing later would use it). */
    public void forget(String id) {
        lock.lock();
        try {
            if (!transactions.isEmpty()) {
                drop(transactions.remove(id));
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes entries idle for longer than the idle timeout; returns how many. Walks from the
     * least recently used entry and stops at the first live one, so it costs only what it removes.
     */
    public int sweep() {
        int removed;
        lock.lock();
        try {
            removed = sweepExpired(clock.getAsLong());
        } finally {
            lock.unlock();
        }
        if (removed > 0) {
            LOG.debug("transactions - {} expired after {} idle", removed, Duration.ofNanos(idleNanos));
        }
        return removed;
    }

    /** Number of transactions kept (expired ones not yet swept included). */
    public int size() {
        lock.lock();
        try {
            return transactions.size();
        } finally {
            lock.unlock();
        }
    }

    /** Body bytes buffered over all transactions. */
    public long bufferedBytes() {
        lock.lock();
        try {
            return buffered;
        } finally {
            lock.unlock();
        }
    }

    /** Transactions evicted because the store was full (not counting expiry). */
    public long evictions() {
        return evictions.get();
    }

    // ------------------------------------------------------------------ under lock

    /** The live entry, now the most recently used; an expired one is dropped and not returned. */
    private Transaction get(String id) {
        Transaction t = transactions.get(id);
        if (t == null) {
            return null;
        }
        long now = clock.getAsLong();
        if (now - t.touchedNanos >= idleNanos) {
            drop(transactions.remove(id));
            return null;
        }
        t.touchedNanos = now;
        return t;
    }

    private Transaction getOrCreate(String id) {
        Transaction t = get(id);
        if (t == null) {
            makeRoom();
            t = new Transaction(clock.getAsLong());
            transactions.put(id, t);
        }
        return t;
    }

    private void drop(Transaction t) {
        if (t != null) {
            buffered -= t.buffered();
        }
    }

    private int sweepExpired(long now) {
        int removed = 0;
        Iterator<Transaction> lru = transactions.values().iterator();
        while (lru.hasNext()) {
            Transaction t = lru.next();
            if (now - t.touchedNanos < idleNanos) {
                break; // every later entry was used more recently
            }
            drop(t);
            lru.remove();
            removed++;
        }
        return removed;
    }

    /** Before adding an entry: when full, sweep; still full, evict the least recently used tenth. */
    private void makeRoom() {
        if (transactions.size() < maxEntries) {
            return;
        }
        sweepExpired(clock.getAsLong());
        if (transactions.size() < maxEntries) {
            return;
        }
        int evict = Math.max(1, maxEntries / 10);
        Iterator<Transaction> lru = transactions.values().iterator();
        for (int i = 0; i < evict && lru.hasNext(); i++) {
            drop(lru.next());
            lru.remove();
        }
        long total = evictions.addAndGet(evict);
        if (total == evict) {
            LOG.warn("transactions - {} entries kept (the maximum), evicting the least recently used {} at a time;"
                    + " their ctx and buffered bodies are lost (logged once)", maxEntries, evict);
        } else {
            LOG.debug("transactions - full, evicted {} ({} so far)", evict, total);
        }
    }
}
