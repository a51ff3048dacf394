package io.zentinel.sentinel.lua.protocol.frame;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;

import static io.zentinel.sentinel.lua.protocol.frame.FrameReaderTest.HANDSHAKE_JSON;
import static io.zentinel.sentinel.lua.protocol.frame.FrameReaderTest.PING_JSON;
import static io.zentinel.sentinel.lua.protocol.frame.FrameReaderTest.wire;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameWriterTest {

    private static String hex(byte[] bytes, int from, int to) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes, from, to);
    }

    @Test
    void writesGoldenHandshakeHeader() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        new FrameWriter(out, FrameLimits.PROXY_V2).write((byte) 0x01, HANDSHAKE_JSON.getBytes(StandardCharsets.UTF_8));

        assertEquals("00 00 00 7d 01", hex(out.toByteArray(), 0, 5));
        assertArrayEquals(wire("00 00 00 7d 01", HANDSHAKE_JSON), out.toByteArray());
    }

    @Test
    void countsTheTypeByteInTheLength() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(out, FrameLimits.PROXY_V2);

        writer.write((byte) 0x20, "0123456789".getBytes(StandardCharsets.US_ASCII)); // 10-byte payload
        writer.write((byte) 0x42, new byte[0]);                                      // type byte only
        writer.write("xyz".getBytes(StandardCharsets.US_ASCII));                      // untyped frame

        byte[] bytes = out.toByteArray();
        assertEquals("00 00 00 0b 20", hex(bytes, 0, 5));
        assertEquals("00 00 00 01 42", hex(bytes, 15, 20));
        assertEquals("00 00 00 03 78 79 7a", hex(bytes, 20, 27));
        assertEquals(27, bytes.length);
    }

    @Test
    void roundTripsGoldenPingThroughTheReader() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out, FrameLimits.PROXY_V2).write((byte) 0x41, PING_JSON.getBytes(StandardCharsets.UTF_8));

        assertArrayEquals(wire("00 00 00 2c 41", PING_JSON), out.toByteArray());
        assertArrayEquals(FrameReaderTest.typed(0x41, PING_JSON),
                new FrameReader(new ByteArrayInputStream(out.toByteArray()), FrameLimits.PROXY_V2).read());
    }

    @Test
    void rejectsAFrameAboveTheLimitAndWritesNothing() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(out, FrameLimits.PROXY_V2);

        FrameTooLargeException e = assertThrows(FrameTooLargeException.class,
                () -> writer.write((byte) 0x20, new byte[16 * 1024 * 1024]));

        assertEquals("frame length (16777217) exceeds the maximum allowed (16777216, from 'agent protocol v2')",
                e.getMessage());
        assertEquals(0, out.size());
    }

    @Test
    void acceptsAFrameOfExactlyTheLimit() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(out, new FrameLimits(8, "test limit"));

        writer.write((byte) 1, new byte[7]);
        FrameTooLargeException e = assertThrows(FrameTooLargeException.class, () -> writer.write(new byte[9]));

        assertEquals(12, out.size());
        assertEquals("frame length (9) exceeds the maximum allowed (8, from 'test limit')", e.getMessage());
    }

    @Test
    void rejectsAnEmptyUntypedFrame() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        CorruptFrameException e = assertThrows(CorruptFrameException.class,
                () -> new FrameWriter(out, FrameLimits.PROXY_V2).write(new byte[0]));

        assertEquals("frame length 0 is invalid", e.getMessage());
        assertEquals(0, out.size());
    }

    /**
     * Eight writers (half platform, half virtual threads) share one writer over a stream that
     * hands each write to the sink in small slices and yields in between, which invites
     * interleaving; every frame must still come out whole.
     */
    @RepeatedTest(5)
    void concurrentWritersNeverInterleave() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(slicing(sink), FrameLimits.PROXY_V2);

        assertConcurrentFramesArriveWhole(sink, payload -> writer.write((byte) 0x20, payload));
    }

    /** Sends one frame of type 0x20 whose payload follows the type byte. */
    @FunctionalInterface
    interface TypedSend {
        void send(byte[] payload) throws IOException;
    }

    /** A stream that hands each write to {@code sink} in slices of 7 bytes, yielding in between. */
    static OutputStream slicing(ByteArrayOutputStream sink) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (sink) {
                    sink.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                for (int i = 0; i < len; i += 7) {
                    synchronized (sink) {
                        sink.write(b, off + i, Math.min(7, len - i));
                    }
                    Thread.yield();
                }
            }
        };
    }

    /**
     * Eight threads (half platform, half virtual) each send 300 frames through {@code send};
     * once they have all returned, {@code sink} must hold every frame whole and each thread's in
     * the order it sent them.
     */
    static void assertConcurrentFramesArriveWhole(ByteArrayOutputStream sink, TypedSend send) throws Exception {
        int threads = 8;
        int framesPerThread = 300;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int t = 0; t < threads; t++) {
            int writerId = t;
            Runnable work = () -> {
                try {
                    start.await();
                    for (int seq = 0; seq < framesPerThread; seq++) {
                        byte[] payload = new byte[3 + ThreadLocalRandom.current().nextInt(200)];
                        payload[0] = (byte) writerId;
                        payload[1] = (byte) (seq >> 8);
                        payload[2] = (byte) seq;
                        for (int i = 3; i < payload.length; i++) {
                            payload[i] = (byte) (writerId * 31 + seq);
                        }
                        send.send(payload);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            };
            workers.add(t % 2 == 0 ? Thread.ofPlatform().start(work) : Thread.ofVirtual().start(work));
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(List.of(), failures);

        byte[] written;
        synchronized (sink) {
            written = sink.toByteArray();
        }
        FrameReader reader = new FrameReader(new ByteArrayInputStream(written), FrameLimits.PROXY_V2);
        int[] nextSeq = new int[threads];
        byte[] frame;
        int count = 0;
        while ((frame = reader.read()) != null) {
            count++;
            assertEquals(0x20, frame[0]);
            int writerId = frame[1];
            int seq = ((frame[2] & 0xFF) << 8) | (frame[3] & 0xFF);
            assertEquals(nextSeq[writerId]++, seq, "frames of one writer stay in order");
            for (int i = 4; i < frame.length; i++) {
                assertEquals((byte) (writerId * 31 + seq), frame[i], "frame body is not mixed with another frame");
            }
        }
        assertEquals(threads * framesPerThread, count);
        for (int n : nextSeq) {
            assertEquals(framesPerThread, n);
        }
        assertNull(reader.read());
        assertTrue(written.length > threads * framesPerThread * 8);
    }
}
