package io.zentinel.sentinel.lua.protocol.frame;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * Splits a byte stream into frames of a 4-byte big-endian length followed by that many bytes.
 *
 * <p>The length is checked against {@link FrameLimits} before any buffer is allocated, so a peer
 * cannot make the reader allocate more than the limit. The reader does not interpret the frame:
 * for the proxy the first byte is the message type, for the worker pipe the whole frame is a
 * protobuf message. Not thread-safe: one thread reads a stream.
 *
 * <p>The reader buffers for itself: give it the unbuffered stream. One {@code read} of the stream
 * takes whatever has arrived, often several frames, and {@link #hasBufferedFrame()} tells the
 * caller whether the next frame is already there, so that it can hold back a flush of its own
 * output until it is about to wait. (A {@code BufferedInputStream} underneath would ask the
 * stream for {@code available()}, one more system call per read.) A frame larger than the buffer
 * is read into its own array past the buffer.
 */
public final class FrameReader {
    /** Bytes read from the stream at most at once. */
    public static final int DEFAULT_BUFFER_BYTES = 64 * 1024;

    private static final int PREFIX_BYTES = 4;

    private final InputStream in;
    private final FrameLimits limits;
    private final byte[] buffer;
    /** The unread bytes are {@code buffer[start, end)}. */
    private int start;
    private int end;

    public FrameReader(InputStream in, FrameLimits limits) {
        this(in, limits, DEFAULT_BUFFER_BYTES);
    }

    /** @param bufferBytes bytes read from the stream at most at once; at least 16 */
    public FrameReader(InputStream in, FrameLimits limits, int bufferBytes) {
        this.in = Objects.requireNonNull(in, "in");
        this.limits = Objects.requireNonNull(limits, "limits");
        if (bufferBytes < 16) {
            throw new IllegalArgumentException("bufferBytes must be at least 16 (was " + bufferBytes + ")");
        }
        this.buffer = new byte[bufferBytes];
    }

    /**
     * Reads the next frame.
     *
     * @return the frame's bytes (without the length prefix), or {@code null} when the stream ended
     *         cleanly between two frames
     * @throws FrameTooLargeException when the length prefix exceeds the limit
     * @throws CorruptFrameException  when the length is zero or the stream ends inside a frame
     */
    public byte[] read() throws IOException {
        if (!fill(PREFIX_BYTES)) {
            int got = end - start;
            if (got == 0) {
                return null;
            }
            throw new CorruptFrameException("stream ended inside a frame's length prefix (" + got + " of 4 bytes)");
        }
        long length = lengthAt(start);
        if (length == 0) {
            throw new CorruptFrameException("frame length 0 is invalid");
        }
        if (length > limits.maxFrameBytes()) {
            throw new FrameTooLargeException(length, limits);
        }
        start += PREFIX_BYTES;
        byte[] frame = new byte[(int) length];
        int copied = Math.min(end - start, frame.length);
        System.arraycopy(buffer, start, frame, 0, copied);
        start += copied;
        int body = copied + readDirect(frame, copied);
        if (body < frame.length) {
            throw new CorruptFrameException(
                    "stream ended inside a frame (" + body + " of " + frame.length + " bytes)");
        }
        return frame;
    }

    /**
     * Whether a whole frame (or a length prefix the next {@link #read()} rejects) is buffered, so
     * that the next {@code read()} returns without reading the stream.
     */
    public boolean hasBufferedFrame() {
        int buffered = end - start;
        if (buffered < PREFIX_BYTES) {
            return false;
        }
        long length = lengthAt(start);
        return length == 0 || length > limits.maxFrameBytes() || buffered - PREFIX_BYTES >= length;
    }

    private long lengthAt(int at) {
        return ((buffer[at] & 0xFFL) << 24) | ((buffer[at + 1] & 0xFF) << 16)
                | ((buffer[at + 2] & 0xFF) << 8) | (buffer[at + 3] & 0xFF);
    }

    /** Reads until {@code bytes} are buffered; {@code false} if the stream ended first. */
    private boolean fill(int bytes) throws IOException {
        if (end - start >= bytes) {
            return true;
        }
        if (start > 0) {
            System.arraycopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        while (end < bytes) {
            int n = readStream(buffer, end, buffer.length - end);
            if (n < 0) {
                return false;
            }
            end += n;
        }
        return true;
    }

    /** The rest of a frame longer than what was buffered goes straight into the frame's array. */
    private int readDirect(byte[] frame, int offset) throws IOException {
        int total = 0;
        while (offset + total < frame.length) {
            int n = readStream(frame, offset + total, frame.length - offset - total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    private int readStream(byte[] into, int offset, int length) throws IOException {
        try {
            return in.read(into, offset, length);
        } catch (EOFException e) {
            return -1;
        }
    }
}
