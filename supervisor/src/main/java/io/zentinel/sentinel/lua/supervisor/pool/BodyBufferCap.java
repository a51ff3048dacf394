package io.zentinel.sentinel.lua.supervisor.pool;

import java.util.Objects;

/**
 * How many body bytes the supervisor buffers over all transactions at most, and where that
 * figure comes from, for the failure message of a body that would pass it.
 *
 * <p>The configuration allows scripts.max-body-bytes for each of safety.max-concurrent events:
 * 200 MiB with the defaults, up to terabytes at the keys' maxima. The supervisor's heap is
 * smaller (-Xmx192m as shipped), and a body is held once more while its call is encoded for the
 * worker, so buffering all of that would end the supervisor with an OutOfMemoryError, for every
 * tenant. The cap is therefore also at most {@link #HEAP_SHARE_DIVISOR a quarter} of the heap.
 *
 * @param bytes  body bytes buffered at most, 0 or more
 * @param source what the cap is, as the failure message names it
 */
public record BodyBufferCap(long bytes, String source) {
    /** The buffers take at most this fraction of the supervisor's maximum heap (1/4). */
    static final int HEAP_SHARE_DIVISOR = 4;

    public BodyBufferCap {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0 (was " + bytes + ")");
        }
        Objects.requireNonNull(source, "source");
    }

    /**
     * The smaller of max-body-bytes x max-concurrent and a quarter of {@code maxHeapBytes}
     * ({@link Runtime#maxMemory()}).
     */
    public static BodyBufferCap of(long maxBodyBytes, int maxConcurrent, long maxHeapBytes) {
        long configured;
        try {
            configured = Math.multiplyExact(maxBodyBytes, Math.max(1, maxConcurrent));
        } catch (ArithmeticException e) {
            configured = Long.MAX_VALUE;
        }
        long heapShare = maxHeapBytes / HEAP_SHARE_DIVISOR;
        if (configured <= heapShare) {
            return new BodyBufferCap(configured, "scripts.max-body-bytes x safety.max-concurrent");
        }
        return new BodyBufferCap(heapShare, "a quarter of the supervisor's heap; a larger -Xmx in SENTINEL_LUA_JAVA_OPTS"
                + " raises it");
    }
}
