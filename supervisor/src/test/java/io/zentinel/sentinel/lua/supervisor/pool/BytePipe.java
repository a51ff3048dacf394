package io.zentinel.sentinel.lua.supervisor.pool;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory pipe with an unbounded buffer, for fake processes. Unlike
 * {@code PipedInputStream} it does not care which threads write (the handle writes from
 * short-lived virtual threads). Closing the write side gives EOF after the buffered bytes;
 * closing the read side makes writes fail, as a dead process's stdin does.
 */
final class BytePipe {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private byte[] buffer = new byte[1024];
    private int start;
    private int end;
    private boolean writeClosed;
    private boolean readClosed;

    final OutputStream out = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            lock.lock();
            try {
                if (readClosed || writeClosed) {
                    throw new IOException("Broken pipe");
                }
                if (end + len > buffer.length) {
                    byte[] bigger = new byte[Math.max(buffer.length * 2, end - start + len)];
                    System.arraycopy(buffer, start, bigger, 0, end - start);
                    end -= start;
                    start = 0;
                    buffer = bigger;
                }
                System.arraycopy(b, off, buffer, end, len);
                end += len;
                readable.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            closeWrite();
        }
    };

    final InputStream in = new InputStream() {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            lock.lock();
            try {
                while (start == end && !writeClosed && !readClosed) {
                    try {
                        readable.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted", e);
                    }
                }
                if (readClosed) {
                    throw new IOException("Stream closed");
                }
                if (start == end) {
                    return -1;
                }
                int n = Math.min(len, end - start);
                System.arraycopy(buffer, start, b, off, n);
                start += n;
                return n;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            closeRead();
        }
    };

    void closeWrite() {
        lock.lock();
        try {
            writeClosed = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void closeRead() {
        lock.lock();
        try {
            readClosed = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
