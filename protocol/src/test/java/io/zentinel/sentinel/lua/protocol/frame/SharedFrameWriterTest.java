package io.zentinel.sentinel.lua.protocol.frame;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static io.zentinel.sentinel.lua.protocol.frame.FrameWriterTest.assertConcurrentFramesArriveWhole;
import static io.zentinel.sentinel.lua.protocol.frame.FrameWriterTest.slicing;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SharedFrameWriterTest {
    private static final int BULKY = 1024;

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static List<String> framesIn(byte[] written) throws IOException {
        FrameReader reader = new FrameReader(new ByteArrayInputStream(written), FrameLimits.PROXY_V2);
        List<String> frames = new ArrayList<>();
        byte[] frame;
        while ((frame = reader.read()) != null) {
            frames.add(new String(frame, StandardCharsets.US_ASCII));
        }
        return frames;
    }

    @Test
    void writeSendsTheFrameAtOnce() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        SharedFrameWriter writer = new SharedFrameWriter(new BufferedOutputStream(sink), FrameLimits.PROXY_V2, BULKY);

        writer.write(ascii("one"));

        assertEquals(List.of("one"), framesIn(sink.toByteArray()));
    }

    @Test
    void heldFramesLeaveTogetherWithTheNextFlush() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        SharedFrameWriter writer = new SharedFrameWriter(new BufferedOutputStream(sink), FrameLimits.PROXY_V2, BULKY);

        writer.writeUnflushed(ascii("one"));
        writer.writeUnflushed(ascii("two"));
        assertEquals(0, sink.size());

        writer.flush();
        assertEquals(List.of("one", "two"), framesIn(sink.toByteArray()));
        writer.write(ascii("three"));
        assertEquals(List.of("one", "two", "three"), framesIn(sink.toByteArray()));
    }

    /** A stream over a sink whose first multi-byte write stands still until released. */
    private static final class StallingStream extends OutputStream {
        final ByteArrayOutputStream sink = new ByteArrayOutputStream();
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final AtomicBoolean first = new AtomicBoolean(true);

        @Override
        public void write(int b) {
            sink.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (first.getAndSet(false)) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            sink.write(b, off, len);
        }
    }

    /** A writer over a {@link StallingStream} whose thread writing "first" stands still inside it. */
    private static final class Stalled {
        final StallingStream stream = new StallingStream();
        final SharedFrameWriter writer = new SharedFrameWriter(new BufferedOutputStream(stream), FrameLimits.PROXY_V2, BULKY);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread holder = writing(() -> writer.write(ascii("first")));

        Stalled() throws InterruptedException {
            assertTrue(stream.inside.await(10, TimeUnit.SECONDS));
        }

        Thread writing(IoAction action) {
            return Thread.ofPlatform().start(() -> {
                try {
                    action.run();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

    private static void awaitWaiting(Thread thread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(Thread.State.WAITING, thread.getState());
    }

    /**
     * The first thread stands still inside the stream's write; a second thread's write returns
     * without waiting for it, and the first sends the second's frame before it lets go.
     */
    @Test
    void aThreadThatFindsTheStreamTakenLeavesItsFrameToTheThreadWriting() throws Exception {
        Stalled stalled = new Stalled();

        Thread second = stalled.writing(() -> stalled.writer.write(ascii("second")));
        second.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(second.isAlive(), "the second write waited for the first");
        assertTrue(stalled.holder.isAlive());
        assertEquals(0, stalled.stream.sink.size());

        stalled.stream.release.countDown();
        stalled.holder.join(TimeUnit.SECONDS.toMillis(10));
        assertNull(stalled.failure.get());
        assertEquals(List.of("first", "second"), framesIn(stalled.stream.sink.toByteArray()));
    }

    /**
     * A bulky frame's thread waits for the stream, even when it only asked to hold the flush,
     * and sends its frame after the ones queued before it.
     */
    @Test
    void aBulkyFrameWaitsForTheStreamAndLeavesWhenItsCallReturns() throws Exception {
        Stalled stalled = new Stalled();
        stalled.writer.write(ascii("second"));

        byte[] bulky = new byte[BULKY];
        Arrays.fill(bulky, (byte) 'b');
        Thread bulkyWriter = stalled.writing(() -> stalled.writer.writeUnflushed(bulky));
        awaitWaiting(bulkyWriter);

        stalled.stream.release.countDown();
        bulkyWriter.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(bulkyWriter.isAlive());
        assertEquals(List.of("first", "second", "b".repeat(BULKY)), framesIn(stalled.stream.sink.toByteArray()));
        stalled.holder.join(TimeUnit.SECONDS.toMillis(10));
        assertNull(stalled.failure.get());
    }

    @Test
    void refusesAFrameTheLimitsDoNotAllowAndQueuesNothing() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        SharedFrameWriter writer = new SharedFrameWriter(sink, new FrameLimits(8, "test limit"), BULKY);

        FrameTooLargeException tooLarge = assertThrows(FrameTooLargeException.class, () -> writer.write(new byte[9]));
        CorruptFrameException empty = assertThrows(CorruptFrameException.class, () -> writer.writeUnflushed(new byte[0]));
        writer.flush();
        assertEquals(0, sink.size());
        writer.write(ascii("12345678"));

        assertEquals("frame length (9) exceeds the maximum allowed (8, from 'test limit')", tooLarge.getMessage());
        assertEquals("frame length 0 is invalid", empty.getMessage());
        assertEquals(List.of("12345678"), framesIn(sink.toByteArray()));
    }

    @Test
    void aFailedWriteReachesTheThreadThatMadeIt() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        SharedFrameWriter writer = new SharedFrameWriter(broken, FrameLimits.PROXY_V2, BULKY);

        IOException e = assertThrows(IOException.class, () -> writer.write(ascii("lost")));

        assertEquals("Broken pipe", e.getMessage());
    }

    @Test
    void closeSendsWhatIsQueuedThenClosesTheStream() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        AtomicBoolean closed = new AtomicBoolean();
        OutputStream closing = new BufferedOutputStream(sink) {
            @Override
            public void close() throws IOException {
                super.close();
                closed.set(true);
            }
        };
        SharedFrameWriter writer = new SharedFrameWriter(closing, FrameLimits.PROXY_V2, BULKY);

        writer.writeUnflushed(ascii("last"));
        writer.close();

        assertTrue(closed.get());
        assertArrayEquals(new byte[] {0, 0, 0, 4, 'l', 'a', 's', 't'}, sink.toByteArray());
    }

    /** Frames of threads that found the stream taken are all sent by the time every write returned. */
    @RepeatedTest(5)
    void concurrentWritersNeverInterleaveAndNoFrameIsLeftBehind() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        SharedFrameWriter writer = new SharedFrameWriter(slicing(sink), FrameLimits.PROXY_V2, BULKY);

        assertConcurrentFramesArriveWhole(sink, payload -> {
            byte[] frame = new byte[payload.length + 1];
            frame[0] = 0x20;
            System.arraycopy(payload, 0, frame, 1, payload.length);
            writer.write(frame);
        });
    }
}
