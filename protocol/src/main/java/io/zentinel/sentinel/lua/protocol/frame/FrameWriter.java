package io.zentinel.sentinel.lua.protocol.frame;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes frames of a 4-byte big-endian length followed by the frame's bytes, each one whole and
 * flushed, so that frames written by several threads never interleave.
 *
 * <p>Thread-safe. A {@link ReentrantLock} rather than {@code synchronized} guards the stream
 * because writers are virtual threads, which {@code synchronized} pins on JDK 21.
 */
public final class FrameWriter {
    private final OutputStream out;
    private final FrameLimits limits;
    private final ReentrantLock lock = new ReentrantLock();

    /** @param out a buffered stream: each frame is written into it and then flushed */
    public FrameWriter(OutputStream out, FrameLimits limits) {
        this.out = Objects.requireNonNull(out, "out");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** Writes one frame whose bytes are {@code frame}. */
    public void write(byte[] frame) throws IOException {
        writeFrame(-1, frame);
    }

    /**
     * Like {@link #write(byte[])} but leaves the frame in the stream's buffer until
     * {@link #flush()} (see {@link FlushBatch}).
     */
    public void writeUnflushed(byte[] frame) throws IOException {
        writeFrame(-1, frame, false);
    }

    /**
     * Writes one frame whose first byte is {@code lead} followed by {@code rest}, without
     * copying them together (the proxy's type byte and JSON payload).
     */
    public void write(byte lead, byte[] rest) throws IOException {
        writeFrame(lead & 0xFF, rest, true);
    }

    /**
     * Like {@link #write(byte, byte[])} but leaves the frame in the stream's buffer until
     * {@link #flush()}: one writer thread that has several frames at hand sends them with one
     * system call.
     */
    public void writeUnflushed(byte lead, byte[] rest) throws IOException {
        writeFrame(lead & 0xFF, rest, false);
    }

    /** Sends what {@link #writeUnflushed} left in the buffer. */
    public void flush() throws IOException {
        lock.lock();
        try {
            out.flush();
        } finally {
            lock.unlock();
        }
    }

    private void writeFrame(int lead, byte[] rest) throws IOException {
        writeFrame(lead, rest, true);
    }

    private void writeFrame(int lead, byte[] rest, boolean flush) throws IOException {
        long length = (long) rest.length + (lead >= 0 ? 1 : 0);
        checkLength(length, limits);
        byte[] header = new byte[lead >= 0 ? 5 : 4];
        header[0] = (byte) (length >>> 24);
        header[1] = (byte) (length >>> 16);
        header[2] = (byte) (length >>> 8);
        header[3] = (byte) length;
        if (lead >= 0) {
            header[4] = (byte) lead;
        }
        lock.lock();
        try {
            out.write(header);
            out.write(rest);
            if (flush) {
                out.flush();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Refuses a frame of {@code length} bytes that the limits do not allow. */
    static void checkLength(long length, FrameLimits limits) throws FrameException {
        if (length == 0) {
            throw new CorruptFrameException("frame length 0 is invalid");
        }
        if (length > limits.maxFrameBytes()) {
            throw new FrameTooLargeException(length, limits);
        }
    }

    /** Closes the underlying stream, after a frame being written has been completed. */
    public void close() throws IOException {
        lock.lock();
        try {
            out.close();
        } finally {
            lock.unlock();
        }
    }
}
