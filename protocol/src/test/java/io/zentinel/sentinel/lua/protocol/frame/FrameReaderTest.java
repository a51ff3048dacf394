package io.zentinel.sentinel.lua.protocol.frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameReaderTest {
    /** Golden frame §12.1 of agent-protocol-v2.md: header {@code 00 00 00 7d 01}, 124 payload bytes. */
    static final String HANDSHAKE_JSON = "{\"supported_versions\":[2],\"proxy_id\":\"zentinel-proxy\","
            + "\"proxy_version\":\"0.6.20\",\"config\":null,\"supported_encodings\":[\"json\"]}";
    /** Golden frame §12.8: header {@code 00 00 00 2c 41}. */
    static final String PING_JSON = "{\"sequence\":0,\"timestamp_ms\":1782898200123}";

    static byte[] wire(String hexHeader, String payload) {
        byte[] header = HexFormat.ofDelimiter(" ").parseHex(hexHeader);
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        byte[] all = Arrays.copyOf(header, header.length + body.length);
        System.arraycopy(body, 0, all, header.length, body.length);
        return all;
    }

    /** What {@link FrameReader#read()} returns for a typed frame: type byte, then payload. */
    static byte[] typed(int type, String payload) {
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[body.length + 1];
        frame[0] = (byte) type;
        System.arraycopy(body, 0, frame, 1, body.length);
        return frame;
    }

    private static FrameReader reader(InputStream in) {
        return new FrameReader(in, FrameLimits.PROXY_V2);
    }

    @Test
    void readsGoldenHandshakeFedOneByteAtATime() throws IOException {
        byte[] wire = wire("00 00 00 7d 01", HANDSHAKE_JSON);
        ThrottledInputStream in = new ThrottledInputStream(wire, 1);
        FrameReader reader = reader(in);

        byte[] frame = reader.read();

        assertArrayEquals(typed(0x01, HANDSHAKE_JSON), frame);
        assertEquals(125, frame.length);
        assertNull(reader.read());
        assertEquals(wire.length, in.reads() - 1, "one read call per byte, plus the one that saw the end");
    }

    @Test
    void readsSeveralFramesDeliveredInOneRead() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(wire("00 00 00 7d 01", HANDSHAKE_JSON));
        all.writeBytes(wire("00 00 00 2c 41", PING_JSON));
        all.writeBytes(new byte[] {0, 0, 0, 1, 0x42}); // an empty Pong
        ThrottledInputStream in = new ThrottledInputStream(all.toByteArray(), Integer.MAX_VALUE);
        FrameReader reader = reader(in);

        assertArrayEquals(typed(0x01, HANDSHAKE_JSON), reader.read());
        assertArrayEquals(typed(0x41, PING_JSON), reader.read());
        assertArrayEquals(new byte[] {0x42}, reader.read());
        assertNull(reader.read());
        assertNull(reader.read(), "stays at the end");
    }

    @Test
    void readsFramesSplitAtEveryPossibleBoundary() throws IOException {
        byte[] a = wire("00 00 00 2c 41", PING_JSON);
        byte[] b = wire("00 00 00 7d 01", HANDSHAKE_JSON);
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        for (int chunk = 1; chunk <= both.length; chunk++) {
            FrameReader reader = reader(new ThrottledInputStream(both, chunk));
            assertArrayEquals(typed(0x41, PING_JSON), reader.read(), "chunk " + chunk);
            assertArrayEquals(typed(0x01, HANDSHAKE_JSON), reader.read(), "chunk " + chunk);
            assertNull(reader.read());
        }
    }

    @Test
    void readsFramesThatArrivedTogetherWithOneReadAndSaysWhenTheNextIsBuffered() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(wire("00 00 00 7d 01", HANDSHAKE_JSON));
        all.writeBytes(wire("00 00 00 2c 41", PING_JSON));
        all.writeBytes(new byte[] {0, 0, 0, 1, 0x42, 0, 0, 0, 9, 0x41}); // a Pong, then 1 of 9 bytes
        ThrottledInputStream in = new ThrottledInputStream(all.toByteArray(), Integer.MAX_VALUE);
        FrameReader reader = reader(in);

        assertFalse(reader.hasBufferedFrame(), "nothing read yet");
        assertArrayEquals(typed(0x01, HANDSHAKE_JSON), reader.read());
        assertEquals(1, in.reads());
        assertTrue(reader.hasBufferedFrame());
        assertArrayEquals(typed(0x41, PING_JSON), reader.read());
        assertTrue(reader.hasBufferedFrame());
        assertArrayEquals(new byte[] {0x42}, reader.read());
        assertEquals(1, in.reads(), "three frames, one read of the stream");
        assertFalse(reader.hasBufferedFrame(), "only 1 of the next frame's 9 bytes is there");
        assertThrows(CorruptFrameException.class, reader::read);
    }

    @Test
    void saysAnOversizePrefixIsBufferedSoThatTheNextReadRejectsItAtOnce() throws IOException {
        FrameReader reader = reader(new ByteArrayInputStream(new byte[] {0, 0, 0, 1, 0x42, (byte) 0xff, 0, 0, 0}));

        reader.read();

        assertTrue(reader.hasBufferedFrame());
        assertThrows(FrameTooLargeException.class, reader::read);
    }

    @ParameterizedTest(name = "buffer of {0} bytes")
    @ValueSource(ints = {16, 1000, FrameReader.DEFAULT_BUFFER_BYTES})
    void readsManyFramesOfRandomSizesFromRandomPieces(int bufferBytes) throws IOException {
        Random random = new Random(42);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[][] frames = new byte[300][];
        FrameWriter writer = new FrameWriter(all, FrameLimits.PROXY_V2);
        for (int i = 0; i < frames.length; i++) {
            frames[i] = new byte[1 + random.nextInt(i % 10 == 0 ? 100_000 : 300)];
            random.nextBytes(frames[i]);
            writer.write(frames[i]);
        }
        InputStream pieces = new InputStream() { // every read returns 1..5000 bytes
            private final ByteArrayInputStream in = new ByteArrayInputStream(all.toByteArray());

            @Override
            public int read() {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return in.read(b, off, Math.min(len, 1 + random.nextInt(5000)));
            }
        };
        FrameReader reader = new FrameReader(pieces, FrameLimits.PROXY_V2, bufferBytes);

        for (byte[] expected : frames) {
            assertArrayEquals(expected, reader.read());
        }
        assertNull(reader.read());
    }

    @Test
    void rejectsZeroLength() {
        FrameReader reader = reader(new ByteArrayInputStream(new byte[] {0, 0, 0, 0, 0x10}));

        CorruptFrameException e = assertThrows(CorruptFrameException.class, reader::read);

        assertEquals("frame length 0 is invalid", e.getMessage());
    }

    @Test
    void rejectsOversizeLengthBeforeReadingTheBody() {
        ThrottledInputStream in = new ThrottledInputStream(new byte[] {0x01, 0x00, 0x00, 0x01, 0x10, 1, 2, 3}, 4);
        FrameReader reader = reader(in);

        FrameTooLargeException e = assertThrows(FrameTooLargeException.class, reader::read);

        assertEquals("frame length (16777217) exceeds the maximum allowed (16777216, from 'agent protocol v2')",
                e.getMessage());
        assertEquals(16_777_217L, e.length());
        assertEquals(1, in.reads(), "nothing after the prefix was read");
    }

    @Test
    void reportsTheLargestPrefixAsAnUnsignedNumber() {
        FrameReader reader = reader(new ByteArrayInputStream(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}));

        FrameTooLargeException e = assertThrows(FrameTooLargeException.class, reader::read);

        assertEquals("frame length (4294967295) exceeds the maximum allowed (16777216, from 'agent protocol v2')",
                e.getMessage());
    }

    @Test
    void givesAPrefixOfPrintableTextAsText() {
        FrameReader http = reader(new ByteArrayInputStream("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)));
        FrameReader jvm = reader(new ByteArrayInputStream("#\n# A fatal error".getBytes(StandardCharsets.US_ASCII)));

        assertEquals("frame length (1195725856) exceeds the maximum allowed (16777216, from 'agent protocol v2'); "
                + "its bytes read \"GET \" as text, so the peer writes text, not frames",
                assertThrows(FrameTooLargeException.class, http::read).getMessage());
        assertTrue(assertThrows(FrameTooLargeException.class, jvm::read).getMessage()
                .endsWith("; its bytes read \"#\\n# \" as text, so the peer writes text, not frames"));
    }

    @Test
    void acceptsExactlyTheLimitAndNamesTheConfiguredKnobAbove() throws IOException {
        FrameLimits limits = new FrameLimits(16, "limits.max-frame-bytes");
        byte[] atLimit = new byte[4 + 16];
        atLimit[3] = 16;
        assertEquals(16, new FrameReader(new ByteArrayInputStream(atLimit), limits).read().length);

        byte[] above = {0, 0, 0, 17};
        FrameTooLargeException e = assertThrows(FrameTooLargeException.class,
                () -> new FrameReader(new ByteArrayInputStream(above), limits).read());
        assertEquals("frame length (17) exceeds the maximum allowed (16, from 'limits.max-frame-bytes')", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void rejectsAStreamEndingInsideThePrefix(int bytes) {
        byte[] prefix = Arrays.copyOf(new byte[] {0, 0, 0, 5}, bytes);
        FrameReader reader = reader(new ThrottledInputStream(prefix, 1));

        CorruptFrameException e = assertThrows(CorruptFrameException.class, reader::read);

        assertEquals("stream ended inside a frame's length prefix (" + bytes + " of 4 bytes)", e.getMessage());
    }

    @Test
    void rejectsAStreamEndingInsideTheBody() {
        FrameReader reader = reader(new ThrottledInputStream(new byte[] {0, 0, 0, 10, 0x10, '{', '}'}, 2));

        CorruptFrameException e = assertThrows(CorruptFrameException.class, reader::read);

        assertEquals("stream ended inside a frame (3 of 10 bytes)", e.getMessage());
    }

    @Test
    void treatsAnEofExceptionFromTheStreamAsTheEnd() throws IOException {
        InputStream throwing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new EOFException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                throw new EOFException();
            }
        };

        assertNull(reader(throwing).read());
    }

    @Test
    void rejectsABufferTooSmallForAPrefixAndSomeBytes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FrameReader(InputStream.nullInputStream(), FrameLimits.PROXY_V2, 15));
        assertEquals("bufferBytes must be at least 16 (was 15)", e.getMessage());
    }

    @Test
    void rejectsNonsenseLimits() {
        assertThrows(IllegalArgumentException.class, () -> new FrameLimits(0, "x"));
        assertThrows(IllegalArgumentException.class, () -> new FrameLimits(1, " "));
    }
}
