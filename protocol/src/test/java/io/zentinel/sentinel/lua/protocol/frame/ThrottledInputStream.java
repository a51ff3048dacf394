package io.zentinel.sentinel.lua.protocol.frame;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Hands out at most {@code maxBytesPerRead} bytes per {@code read} call (after Jackson's test
 * class of the same name), the way a stream socket may deliver a frame in pieces.
 */
final class ThrottledInputStream extends FilterInputStream {
    private final int maxBytesPerRead;
    private int reads;

    ThrottledInputStream(byte[] data, int maxBytesPerRead) {
        this(new ByteArrayInputStream(data), maxBytesPerRead);
    }

    ThrottledInputStream(InputStream in, int maxBytesPerRead) {
        super(in);
        this.maxBytesPerRead = maxBytesPerRead;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        reads++;
        return super.read(b, off, Math.min(len, maxBytesPerRead));
    }

    /** How many times {@code read(byte[], int, int)} was called. */
    int reads() {
        return reads;
    }
}
