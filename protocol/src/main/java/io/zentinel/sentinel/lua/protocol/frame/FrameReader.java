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
 */
public final class FrameReader {
    private final InputStream in;
    private final FrameLimits limits;
    private final byte[] prefix = new byte[4];

    public FrameReader(InputStream in, FrameLimits limits) {
        this.in = Objects.requireNonNull(in, "in");
        this.limits = Objects.requireNonNull(limits, "limits");
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
        int got = readFully(prefix, 0, 4);
        if (got == 0) {
            return null;
        }
        if (got < 4) {
            throw new CorruptFrameException("stream ended inside a frame's length prefix (" + got + " of 4 bytes)");
        }
        long length = ((prefix[0] & 0xFFL) << 24) | ((prefix[1] & 0xFF) << 16)
                | ((prefix[2] & 0xFF) << 8) | (prefix[3] & 0xFF);
        if (length == 0) {
            throw new CorruptFrameException("frame length 0 is invalid");
        }
        if (length > limits.maxFrameBytes()) {
            throw new FrameTooLargeException(length, limits);
        }
        byte[] frame = new byte[(int) length];
        int body = readFully(frame, 0, frame.length);
        if (body < frame.length) {
            throw new CorruptFrameException(
                    "stream ended inside a frame (" + body + " of " + frame.length + " bytes)");
        }
        return frame;
    }

    private int readFully(byte[] buffer, int offset, int length) throws IOException {
        int total = 0;
        while (total < length) {
            int n;
            try {
                n = in.read(buffer, offset + total, length - total);
            } catch (EOFException e) {
                n = -1;
            }
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }
}
