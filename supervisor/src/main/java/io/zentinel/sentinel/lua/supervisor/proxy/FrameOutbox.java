package io.zentinel.sentinel.lua.supervisor.proxy;

import io.zentinel.sentinel.lua.protocol.frame.FlushBatch;
import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The single writer of one proxy connection: a platform thread {@code <connection>-writer} that
 * takes frames from a queue and writes them whole through a {@link FrameWriter}, so frames never
 * interleave. Event threads only enqueue and never touch the socket.
 *
 * <p>Why a platform thread: junixsocket 2.11.1 serves socket I/O on virtual threads with a
 * blocking {@code poll()} per waiting socket on its own pool of {@code availableProcessors()}
 * threads (kohlschutter/junixsocket#172), so with more waiting sockets than CPUs every further
 * socket stalls. Platform threads make plain blocking calls and avoid that pool entirely; a stuck
 * peer then blocks only this thread, not the virtual-thread carriers.
 *
 * <p>A thread with an open {@link FlushBatch} (a worker's stdout reader with more results at
 * hand, a connection's reader with more events) queues frames without waking the writer and
 * wakes it once, when its batch is flushed: the answers of one burst of results leave in one
 * write per connection, and the writer is woken once for them, not once per answer.
 *
 * <p>Every frame handed to {@link #send} has its completion called exactly once, with
 * {@code true} once written, or {@code false} if the outbox stopped first or the write failed.
 */
final class FrameOutbox {
    private static final Logger log = LoggerFactory.getLogger(FrameOutbox.class);

    /** Called on the writer thread (or the stopping thread) when a frame's fate is known. */
    @FunctionalInterface
    interface Completion {
        void done(boolean written);
    }

    private record Item(int type, byte[] payload, Completion completion) {
    }

    private static final Item STOP = new Item(-1, new byte[0], null);
    /** Frames written per flush at most, so completions are not held back behind a long queue. */
    private static final int MAX_BATCH = 64;

    private final String name;
    private final FrameWriter writer;
    private final Runnable onWriteFailure;
    private final ConcurrentLinkedQueue<Item> queue = new ConcurrentLinkedQueue<>();
    /** The writer found the queue empty and parks (or is about to) until {@link #wake()}. */
    private final AtomicBoolean waiting = new AtomicBoolean();
    /** One instance, so that a {@link FlushBatch} holds it once however many frames are queued. */
    private final Runnable wake = this::wake;
    private final Thread thread;
    private volatile boolean stopped;

    /**
     * @param name           the connection's name; the thread is {@code <name>-writer}
     * @param out            a buffered stream of the socket
     * @param onWriteFailure called once when a write fails (the peer is gone): close the connection
     */
    FrameOutbox(String name, OutputStream out, Runnable onWriteFailure) {
        this.name = name;
        this.writer = new FrameWriter(out, FrameLimits.PROXY_V2);
        this.onWriteFailure = onWriteFailure;
        this.thread = Thread.ofPlatform().name(name + "-writer").daemon(true)
                .uncaughtExceptionHandler((t, e) -> log.error("{} - uncaught exception", t.getName(), e))
                .unstarted(this::writeLoop);
    }

    void start() {
        thread.start();
    }

    /** Queues a frame; never blocks. {@code completion} may be {@code null}. */
    void send(int type, byte[] payload, Completion completion) {
        queue.add(new Item(type, payload, completion));
        if (stopped) {
            failQueued(); // the writer is gone: nobody else will complete it
        } else if (!FlushBatch.hold(wake)) {
            wake();
        }
    }

    /** Writes what is queued, then stops; gives up (and fails the rest) after {@code timeout}. */
    void finish(Duration timeout) throws InterruptedException {
        queue.add(STOP);
        wake();
        thread.join(timeout);
        if (thread.isAlive()) {
            log.debug("{} - writer did not finish within {}, stopping it", name, timeout);
            abort();
        }
    }

    /** Stops at once; queued frames are completed with {@code false}. Idempotent. */
    void abort() {
        stopped = true;
        thread.interrupt();
        failQueued();
    }

    /**
     * Writes every frame queued by the time it wakes, then flushes once: under load the answers
     * of pipelined events leave in one system call. Completions run after the flush.
     */
    private void writeLoop() {
        List<Item> batch = new ArrayList<>();
        try {
            while (true) {
                Item item = take();
                boolean stop = false;
                do {
                    if (item == STOP) {
                        stop = true;
                        break;
                    }
                    batch.add(item);
                    item = batch.size() < MAX_BATCH ? queue.poll() : null;
                } while (item != null);
                try {
                    for (Item frame : batch) {
                        writer.writeUnflushed((byte) frame.type(), frame.payload());
                    }
                    writer.flush();
                } catch (IOException e) {
                    batch.forEach(frame -> complete(frame, false));
                    log.debug("{} - write failed, closing the connection: {}", name, e.toString());
                    onWriteFailure.run();
                    return;
                }
                batch.forEach(frame -> complete(frame, true));
                batch.clear();
                if (stop) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            log.debug("{} - writer interrupted", name);
        } finally {
            stopped = true;
            failQueued();
        }
    }

    /** The next queued item; parks while there is none. */
    private Item take() throws InterruptedException {
        while (true) {
            Item item = queue.poll();
            if (item != null) {
                return item;
            }
            waiting.set(true);
            item = queue.poll(); // queued before the flag was seen: its sender did not wake us
            if (item != null) {
                waiting.set(false);
                return item;
            }
            LockSupport.park(this);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /** Unparks the writer if it waits for a frame. */
    private void wake() {
        if (waiting.get() && waiting.compareAndSet(true, false)) {
            LockSupport.unpark(thread);
        }
    }

    private void failQueued() {
        Item item;
        while ((item = queue.poll()) != null) {
            if (item != STOP) {
                complete(item, false);
            }
        }
    }

    private void complete(Item item, boolean written) {
        if (item.completion() == null) {
            return;
        }
        try {
            item.completion().done(written);
        } catch (RuntimeException e) {
            log.error("{} - frame completion failed", name, e);
        }
    }
}
