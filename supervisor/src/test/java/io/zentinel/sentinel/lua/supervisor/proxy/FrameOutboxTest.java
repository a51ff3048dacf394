package io.zentinel.sentinel.lua.supervisor.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.zentinel.sentinel.lua.protocol.frame.FlushBatch;
import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A connection's writer thread, over a stream that records each write it makes. */
class FrameOutboxTest {
    /** Each write reaching the "socket", as the payloads of the frames it carried. */
    private final LinkedBlockingQueue<List<String>> writes = new LinkedBlockingQueue<>();
    private final FrameOutbox outbox = new FrameOutbox("test-conn", new BufferedOutputStream(new OutputStream() {
        @Override
        public void write(int b) {
            throw new UnsupportedOperationException("the buffer writes arrays");
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            List<String> payloads = new ArrayList<>();
            FrameReader frames = new FrameReader(new ByteArrayInputStream(b, off, len), FrameLimits.PROXY_V2);
            for (byte[] frame = frames.read(); frame != null; frame = frames.read()) {
                payloads.add(new String(frame, 1, frame.length - 1, StandardCharsets.UTF_8));
            }
            writes.add(payloads);
        }
    }, 64 * 1024), () -> { });

    @AfterEach
    void stop() {
        outbox.abort();
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<String> nextWrite() throws InterruptedException {
        List<String> write = writes.poll(10, TimeUnit.SECONDS);
        if (write == null) {
            throw new AssertionError("nothing was written within 10 s");
        }
        return write;
    }

    @Test
    void aFrameSentOutsideABatchIsWrittenAndCompleted() throws Exception {
        outbox.start();
        CompletableFuture<Boolean> written = new CompletableFuture<>();
        outbox.send(1, text("a"), written::complete);
        assertEquals(List.of("a"), nextWrite());
        assertEquals(Boolean.TRUE, written.get(10, TimeUnit.SECONDS));
        outbox.send(1, text("b"), null);
        assertEquals(List.of("b"), nextWrite(), "a writer that waited again is woken again");
    }

    /** Waits until the writer thread is parked, waiting for frames. */
    private static void awaitWriterParked() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (Thread thread : Thread.getAllStackTraces().keySet()) {
                if (thread.getName().equals("test-conn-writer") && thread.getState() == Thread.State.WAITING) {
                    return;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the writer did not wait for frames within 10 s");
    }

    @Test
    void framesSentInABatchWakeTheWriterOnceWhenTheBatchIsFlushed() throws Exception {
        outbox.start();
        outbox.send(1, text("first"), null);
        assertEquals(List.of("first"), nextWrite());
        awaitWriterParked();
        try (FlushBatch batch = FlushBatch.open()) {
            outbox.send(1, text("a"), null);
            outbox.send(1, text("b"), null);
            outbox.send(1, text("c"), null);
            assertNull(writes.poll(300, TimeUnit.MILLISECONDS), "the writer was woken before the batch was flushed");
            batch.flushHeld();
            assertEquals(List.of("a", "b", "c"), nextWrite());
        }
    }

    @Test
    void finishWritesWhatIsQueuedThenStops() throws Exception {
        outbox.start();
        List<Boolean> completions = new ArrayList<>();
        outbox.send(1, text("a"), completions::add);
        outbox.send(1, text("b"), completions::add);
        outbox.finish(Duration.ofSeconds(10));
        List<String> all = new ArrayList<>();
        for (List<String> write = writes.poll(); write != null; write = writes.poll()) {
            all.addAll(write);
        }
        assertEquals(List.of("a", "b"), all);
        assertEquals(List.of(true, true), completions);
        CompletableFuture<Boolean> late = new CompletableFuture<>();
        outbox.send(1, text("c"), late::complete);
        assertEquals(Boolean.FALSE, late.get(10, TimeUnit.SECONDS), "a frame sent after the writer stopped fails");
    }

    @Test
    void abortFailsTheQueuedFrames() throws Exception {
        CompletableFuture<Boolean> queued = new CompletableFuture<>();
        outbox.send(1, text("a"), queued::complete); // not started: stays queued
        outbox.abort();
        assertEquals(Boolean.FALSE, queued.get(10, TimeUnit.SECONDS));
        assertArrayEquals(new Object[0], writes.toArray());
    }
}
