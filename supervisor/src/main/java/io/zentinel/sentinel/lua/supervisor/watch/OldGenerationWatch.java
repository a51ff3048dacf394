package io.zentinel.sentinel.lua.supervisor.watch;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects the supervisor's old generation once it holds {@link #DEFAULT_HEADROOM} more than its
 * mark, checked every {@link #INTERVAL}. The mark is what the old generation held after its last
 * collection; before the first one, what it held at the watch's first check.
 *
 * <p>Why: the supervisor runs SerialGC, which makes room for what a young collection promotes
 * by growing the old generation, not by collecting it, until the heap reaches -Xmx (192 MiB as
 * shipped). What it promotes is mostly garbage: events that were still in flight when a young
 * collection ran, and the pipe buffers and threads of every worker that was replaced. Measured
 * with workers replaced every 2 s under load: the old generation grew from 8 to 21 MiB in 100 s
 * while the live heap after a full collection stayed at 7.5 MB, and every MiB the heap grows stays
 * resident. A full collection of this small heap pauses the supervisor for 9-37 ms on a 2-core
 * machine, about the pause a collection at -Xmx would take later, with the heap grown by then;
 * with this watch it comes once per {@code headroom} of promotions, and the old generation's
 * pages above its mark plus the headroom are never touched. With a new worker every 1.2 s under
 * load the supervisor stayed at 74.8-76.5 MiB resident with 2 MiB, a collection every 16 s
 * (9-15 ms), against 77.3-78.1 MiB with 4 MiB and a collection every 30 s.
 *
 * <p>The first mark is a reading, not zero: everything the old generation holds at start is not
 * growth, and a collection in the agent's first seconds would pause it while it answers its
 * first events. A supervisor pause no longer costs an answer (deadlines count the time the
 * supervisor ran), but it adds to the latency of the events in flight.
 *
 * <p>Only with SerialGC (the pool {@code Tenured Gen}); other collectors size their heaps their
 * own way, and with them {@link #forThisJvm} finds nothing to watch. With
 * {@code -XX:+DisableExplicitGC} the requests do nothing.
 */
public final class OldGenerationWatch implements AutoCloseable {
    /** Growth of the old generation over its mark that starts a collection (2 MiB). */
    public static final long DEFAULT_HEADROOM = 2L << 20;
    public static final Duration INTERVAL = Duration.ofSeconds(5);
    /** The old generation of SerialGC, as the JVM names its memory pool. */
    static final String SERIAL_OLD_POOL = "Tenured Gen";

    private static final Logger LOG = LoggerFactory.getLogger(OldGenerationWatch.class);

    private final LongSupplier used;
    private final LongSupplier usedAfterLastCollection;
    private final Runnable collect;
    private final long headroom;
    /** What the old generation held at the first check, the mark until its first collection; -1 before. */
    private long firstReading = -1;
    private ScheduledExecutorService timer;

    /**
     * @param used                    bytes the old generation holds now
     * @param usedAfterLastCollection bytes it held after its last collection (0 before the first)
     * @param collect                 collects it ({@code System::gc} in the supervisor)
     * @param headroom                growth that starts a collection, more than 0
     */
    OldGenerationWatch(LongSupplier used, LongSupplier usedAfterLastCollection, Runnable collect, long headroom) {
        this.used = Objects.requireNonNull(used, "used");
        this.usedAfterLastCollection = Objects.requireNonNull(usedAfterLastCollection, "usedAfterLastCollection");
        this.collect = Objects.requireNonNull(collect, "collect");
        if (headroom <= 0) {
            throw new IllegalArgumentException("headroom must be > 0 (was " + headroom + ")");
        }
        this.headroom = headroom;
    }

    /** A watch of this JVM's SerialGC old generation, empty under any other collector. */
    public static Optional<OldGenerationWatch> forThisJvm() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getName().equals(SERIAL_OLD_POOL) && pool.isCollectionUsageThresholdSupported()) {
                return Optional.of(new OldGenerationWatch(() -> pool.getUsage().getUsed(), () -> {
                    MemoryUsage after = pool.getCollectionUsage();
                    return after == null ? 0 : after.getUsed();
                }, System::gc, DEFAULT_HEADROOM));
            }
        }
        return Optional.empty();
    }

    /** Checks every {@link #INTERVAL} on a daemon thread {@code old-generation-watch}. */
    public synchronized OldGenerationWatch start() {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("old-generation-watch").factory());
            long interval = INTERVAL.toNanos();
            timer.scheduleWithFixedDelay(this::checkLogged, interval, interval, TimeUnit.NANOSECONDS);
            LOG.info("memory - old generation watched: a full collection once it grows {} over its mark, checked"
                    + " every {} s", headroom % (1 << 20) == 0 ? (headroom >> 20) + " MiB" : (headroom >> 10) + " KiB",
                    INTERVAL.toSeconds());
        }
        return this;
    }

    /**
     * Collects when the old generation has grown by the headroom over its mark.
     *
     * @return whether it asked for a collection
     */
    synchronized boolean check() {
        long now = used.getAsLong();
        if (firstReading < 0) {
            firstReading = now;
        }
        long afterLast = usedAfterLastCollection.getAsLong();
        long mark = afterLast > 0 ? afterLast : firstReading;
        if (now - mark < headroom) {
            return false;
        }
        long started = System.nanoTime();
        collect.run();
        LOG.debug("memory - old generation at {} KiB, {} KiB over its mark: collected in {} ms, now {} KiB",
                now >> 10, (now - mark) >> 10, (System.nanoTime() - started) / 1_000_000, used.getAsLong() >> 10);
        return true;
    }

    private void checkLogged() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.warn("memory - checking the old generation failed", e);
        }
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }
}
