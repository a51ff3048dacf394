package io.zentinel.sentinel.lua.worker.lua.lib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** Strict decoding must agree with the JDK's (strict) UTF-8 decoder, and encoding with the JDK's encoder. */
class Utf8CodecTest {

    /** Bytes on both sides of every boundary a byte after the second can matter for. */
    private static final int[] TAILS = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0xBF, 0xC0, 0xFF};

    private final CharsetDecoder jdk = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    @Test
    void strictValidityAgreesWithTheJdkForEveryOneAndTwoByteString() {
        for (int b0 = 0; b0 < 256; b0++) {
            assertAgrees(new byte[] {(byte) b0});
            for (int b1 = 0; b1 < 256; b1++) {
                assertAgrees(new byte[] {(byte) b0, (byte) b1});
            }
        }
    }

    @Test
    void strictValidityAgreesWithTheJdkForThreeByteLeadsWithEverySecondByte() {
        for (int b0 = 0xE0; b0 <= 0xEF; b0++) {
            for (int b1 = 0; b1 < 256; b1++) {
                for (int b2 : TAILS) {
                    assertAgrees(new byte[] {(byte) b0, (byte) b1, (byte) b2});
                }
            }
        }
    }

    @Test
    void strictValidityAgreesWithTheJdkForFourByteAndLongerLeads() {
        for (int b0 = 0xF0; b0 <= 0xFF; b0++) {
            for (int b1 = 0; b1 < 256; b1++) {
                for (int b2 : TAILS) {
                    for (int b3 : TAILS) {
                        assertAgrees(new byte[] {(byte) b0, (byte) b1, (byte) b2, (byte) b3});
                    }
                }
            }
        }
    }

    @Test
    void encodeAgreesWithTheJdkForEveryScalarValue() {
        byte[] out = new byte[6];
        for (int cp = 0; cp <= 0x10FFFF; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                continue;
            }
            int n = Utf8Codec.encode(cp, out, 0);
            byte[] expected = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            if (!Arrays.equals(expected, 0, expected.length, out, 0, n)) {
                assertArrayEquals(expected, Arrays.copyOf(out, n), "U+" + Integer.toHexString(cp));
            }
            long d = Utf8Codec.decode(out, 0, n, true);
            if (Utf8Codec.codePoint(d) != cp || Utf8Codec.length(d) != n) {
                assertEquals(cp, Utf8Codec.codePoint(d), "decode of U+" + Integer.toHexString(cp));
            }
        }
    }

    private void assertAgrees(byte[] bytes) {
        boolean ours = Utf8Codec.firstInvalid(bytes, 0, bytes.length) < 0;
        boolean theirs;
        try {
            jdk.reset().decode(ByteBuffer.wrap(bytes));
            theirs = true;
        } catch (CharacterCodingException e) {
            theirs = false;
        }
        if (ours != theirs) {
            assertEquals(theirs, ours, "validity of " + Arrays.toString(bytes));
        }
    }
}
