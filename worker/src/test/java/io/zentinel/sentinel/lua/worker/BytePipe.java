package io.zentinel.sentinel.lua.worker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory pipe: bytes written to {@link #out()} by any thread come out of {@link #in()}; closing
 * the output ends the input. Unlike {@code PipedInputStream} it does not care which threads write
 * or whether they are still alive. A read waits at most {@code timeout} seconds, then fails, so a
 * broken test does not hang.
 */
final class BytePipe {
    private static final byte[] EOF = new byte[0];

    private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
    private final long timeoutSeconds;

    BytePipe(long timeoutSeconds) {
        this.timeoutSeconds = timeoutSeconds;
    }

    OutputStream out() {
        return new OutputStream() {
            @Override
            public void write(int b) {
                chunks.add(new byte[] {(byte) b});
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (len > 0) {
                    chunks.add(Arrays.copyOfRange(b, off, off + len));
                }
            }

            @Override
            public void close() {
                chunks.add(EOF);
            }
        };
    }

    InputStream in() {
        return new InputStream() {
            private byte[] current = new byte[0];
            private int pos;
            private boolean ended;

            private boolean fill() throws IOException {
                while (!ended && pos >= current.length) {
                    try {
                        byte[] next = chunks.poll(timeoutSeconds, TimeUnit.SECONDS);
                        if (next == null) {
                            throw new IOException("nothing to read within " + timeoutSeconds + " s");
                        }
                        if (next == EOF) {
                            ended = true;
                        } else {
                            current = next;
                            pos = 0;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted", e);
                    }
                }
                return !ended || pos < current.length;
            }

            @Override
            public int read() throws IOException {
                return fill() ? current[pos++] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, current.length - pos);
                System.arraycopy(current, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }
}
