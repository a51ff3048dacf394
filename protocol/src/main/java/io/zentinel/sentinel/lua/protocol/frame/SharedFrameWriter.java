package io.zentinel.sentinel.lua.protocol.frame;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Frames from many threads into one stream, where a thread with a small frame never waits for
 * another to finish writing: a thread that finds the stream taken leaves its frame in a queue,
 * and the thread writing sends it with its own before it lets go. Frames never interleave, and
 * leave in the order they were queued.
 *
 * <p>Why: a worker's pipe is written by every proxy connection's reader. With a lock around
 * each write, a reader that came second parked until the first had made its system call, and
 * was woken again after it; under load those parks and wake-ups were a large share of the
 * readers' system calls. Here the second reader queues its frame and goes back to its socket.
 *
 * <p>A frame of {@code bulkyFrameBytes} or more (a request body) is the exception: its thread
 * waits for the stream and sends it, with what is queued before it, at once. Such a write
 * often waits for the peer to read (a pipe holds 64 KiB), and a reader that went on reading its
 * socket meanwhile would only move the bodies waiting behind it from the socket's buffer into
 * the heap: measured with 64 KiB bodies at 16 in flight, the supervisor's old generation grew
 * five times as fast when readers did not wait for bulky frames.
 *
 * <p>What a caller of a small frame gives up: when {@link #write} or {@link #flush} returns, its
 * frame may still be on its way, written by another thread a moment later; and a failed write is
 * reported to the thread that made it, whoever's frames it held. Both suit a stream whose
 * failure ends its peer as a whole (a worker's pipe) and not one where each caller must learn
 * the fate of its frame.
 *
 * <p>Small frames that are {@linkplain #writeUnflushed held} wait in the queue until some thread
 * flushes: see {@link FlushBatch}. The queue holds what callers send and have not been sent;
 * callers bound that themselves (a worker takes one call per Lua VM it has).
 *
 * <p>Thread-safe.
 */
public final class SharedFrameWriter {
    private final FrameWriter writer;
    private final FrameLimits limits;
    private final int bulkyFrameBytes;
    private final ConcurrentLinkedQueue<byte[]> queued = new ConcurrentLinkedQueue<>();
    /** Held by the thread sending the queue; only a thread with a bulky frame waits for it. */
    private final ReentrantLock sending = new ReentrantLock();

    /**
     * @param out             a buffered stream: frames are written into it and flushed together
     * @param bulkyFrameBytes frames at least this long are sent by their own thread, which waits
     *                        for the stream (>= 1)
     */
    public SharedFrameWriter(OutputStream out, FrameLimits limits, int bulkyFrameBytes) {
        if (bulkyFrameBytes < 1) {
            throw new IllegalArgumentException("bulkyFrameBytes must be >= 1 (was " + bulkyFrameBytes + ")");
        }
        this.writer = new FrameWriter(out, limits);
        this.limits = limits;
        this.bulkyFrameBytes = bulkyFrameBytes;
    }

    /** Sends {@code frame}, and whatever else is queued, now or by the thread sending already. */
    public void write(byte[] frame) throws IOException {
        writeUnflushed(frame);
        flush();
    }

    /**
     * Queues {@code frame} to leave with the next flush (see {@link FlushBatch}); a bulky frame
     * is sent at once, its thread waiting for the stream.
     *
     * @throws FrameTooLargeException or {@link CorruptFrameException} for a frame the limits
     *                                refuse: it is not queued, so the fault stays with its caller
     */
    public void writeUnflushed(byte[] frame) throws IOException {
        FrameWriter.checkLength(frame.length, limits);
        queued.add(frame);
        if (frame.length >= bulkyFrameBytes) {
            sending.lock();
            try {
                sendQueued();
            } finally {
                sending.unlock();
            }
            flush(); // frames queued by threads that found the stream taken meanwhile
        }
    }

    /**
     * Sends what is queued, unless another thread is sending: that one sends it too before it
     * lets go, since it looks at the queue again after it has let go.
     */
    public void flush() throws IOException {
        while (!queued.isEmpty() && sending.tryLock()) {
            try {
                sendQueued();
            } finally {
                sending.unlock();
            }
        }
    }

    /** With {@link #sending} held. */
    private void sendQueued() throws IOException {
        byte[] frame;
        while ((frame = queued.poll()) != null) {
            writer.writeUnflushed(frame);
        }
        writer.flush();
    }

    /** Sends what is queued, waiting for a thread sending already, then closes the stream. */
    public void close() throws IOException {
        sending.lock();
        try {
            sendQueued();
        } finally {
            try {
                writer.close();
            } finally {
                sending.unlock();
            }
        }
    }
}
