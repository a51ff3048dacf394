package io.zentinel.sentinel.lua.protocol.frame;

import java.util.ArrayList;
import java.util.List;

/**
 * Flushes that a reading thread holds back while more input is at hand, so that the frames it
 * writes for a burst of frames it read leave in one system call per stream, not one each.
 *
 * <p>A reader thread {@linkplain #open() opens} a batch for its loop and calls
 * {@link #flushHeld()} before every read that may wait ({@link FrameReader#hasBufferedFrame()}
 * is {@code false}). Code that writes on whatever thread it is called from asks
 * {@link #hold(Runnable)}: on a thread with an open batch it writes without flushing and the
 * batch runs the given flush later; elsewhere it flushes at once as usual.
 *
 * <p>A held flush must not wait on anything the held frames bring about. Code that may block
 * while a batch could be open calls {@link #flushCurrent()} first.
 *
 * <p>Confined to the thread that opened it. Each flush handles its own failure; one that throws
 * anyway does not keep the others from running.
 */
public final class FlushBatch implements AutoCloseable {
    private static final ThreadLocal<FlushBatch> OPEN = new ThreadLocal<>();

    private final List<Runnable> held = new ArrayList<>();

    private FlushBatch() {
    }

    /** Opens a batch on the calling thread. */
    public static FlushBatch open() {
        if (OPEN.get() != null) {
            throw new IllegalStateException("a flush batch is already open on " + Thread.currentThread().getName());
        }
        FlushBatch batch = new FlushBatch();
        OPEN.set(batch);
        return batch;
    }

    /**
     * Holds {@code flush} back if the calling thread has an open batch; the same flush (by
     * identity) is held once however often it is given.
     *
     * @return {@code true} if it was held: the caller must not flush now
     */
    public static boolean hold(Runnable flush) {
        FlushBatch batch = OPEN.get();
        if (batch == null) {
            return false;
        }
        for (Runnable r : batch.held) {
            if (r == flush) {
                return true;
            }
        }
        batch.held.add(flush);
        return true;
    }

    /** Runs the flushes held by the calling thread's batch, if it has one; before blocking. */
    public static void flushCurrent() {
        FlushBatch batch = OPEN.get();
        if (batch != null) {
            batch.flushHeld();
        }
    }

    /** Runs and forgets the held flushes, in the order they were first held. */
    public void flushHeld() {
        RuntimeException failure = null;
        for (int i = 0; i < held.size(); i++) {
            try {
                held.get(i).run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        held.clear();
        if (failure != null) {
            throw failure;
        }
    }

    /** Runs the held flushes and closes the batch. */
    @Override
    public void close() {
        try {
            flushHeld();
        } finally {
            OPEN.remove();
        }
    }
}
