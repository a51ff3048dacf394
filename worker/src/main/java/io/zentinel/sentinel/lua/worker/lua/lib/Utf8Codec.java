package io.zentinel.sentinel.lua.worker.lua.lib;

/**
 * UTF-8 decoding with Lua 5.4's rules ({@code lutf8lib.c}'s {@code utf8_decode}).
 *
 * <p>Strict mode accepts exactly the well-formed UTF-8 of RFC 3629: no overlong forms, no encoded
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF. Lax mode, like Lua 5.4's {@code lax}
 * argument, also accepts surrogates and the old 5- and 6-byte forms up to 0x7FFFFFFF (still no
 * overlongs).
 */
final class Utf8Codec {

    /** Largest code point in lax mode. */
    static final long MAX_UTF = 0x7FFF_FFFFL;
    /** Largest code point in strict mode. */
    static final int MAX_UNICODE = 0x10FFFF;

    /** Smallest code point that needs {@code count} continuation bytes (index 0: a lone continuation byte). */
    private static final long[] LIMITS = {Long.MAX_VALUE, 0x80, 0x800, 0x1_0000, 0x20_0000, 0x400_0000};

    private Utf8Codec() {
    }

    /**
     * Decodes the sequence that starts at {@code b[i]}; bytes at or past {@code end} read as 0 (the
     * terminating NUL a C string would have).
     *
     * @return {@code -1} when the sequence is invalid, else {@code (length << 32) | codePoint}
     */
    static long decode(byte[] b, int i, int end, boolean strict) {
        int c = b[i] & 0xFF;
        long res;
        int count = 0;
        if (c < 0x80) {
            res = c;
        } else {
            res = 0;
            for (; (c & 0x40) != 0; c <<= 1) {
                count++;
                if (count > 5) {
                    return -1;
                }
                int p = i + count;
                int cc = p < end ? b[p] & 0xFF : 0;
                if ((cc & 0xC0) != 0x80) {
                    return -1;
                }
                res = (res << 6) | (cc & 0x3F);
            }
            res |= (long) (c & 0x7F) << (count * 5);
            if (res > MAX_UTF || res < LIMITS[count]) {
                return -1;
            }
        }
        if (strict && (res > MAX_UNICODE || (res >= 0xD800 && res <= 0xDFFF))) {
            return -1;
        }
        return ((long) (count + 1) << 32) | res;
    }

    static int length(long decoded) {
        return (int) (decoded >>> 32);
    }

    static int codePoint(long decoded) {
        return (int) decoded;
    }

    /** Whether {@code b[i]} is a continuation byte ({@code 10xxxxxx}); positions past {@code end} are not. */
    static boolean isContinuation(byte[] b, int i, int end) {
        return i < end && (b[i] & 0xC0) == 0x80;
    }

    /**
     * The offset, relative to {@code off}, of the first byte that does not start a well-formed
     * (strict) UTF-8 sequence, or {@code -1} when all of {@code b[off, off+len)} is well-formed.
     */
    static int firstInvalid(byte[] b, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end) {
            if (b[i] >= 0) {
                i++;
                continue;
            }
            long d = decode(b, i, end, true);
            if (d < 0) {
                return i - off;
            }
            i += length(d);
        }
        return -1;
    }

    /**
     * Appends the encoding of {@code code} (0..0x7FFFFFFF) to {@code out} at {@code pos}, in the
     * same way as Lua 5.4's {@code utf8.char}: surrogates and values above U+10FFFF included.
     *
     * @return the number of bytes written (1..6); {@code out} needs room for 6
     */
    static int encode(long code, byte[] out, int pos) {
        if (code < 0x80) {
            out[pos] = (byte) code;
            return 1;
        }
        // Lua's luaO_utf8esc: fill continuation bytes from the end until the rest fits the first byte
        byte[] tmp = new byte[6];
        int n = 1;
        long mfb = 0x3f; // largest value that fits in the first byte
        long x = code;
        do {
            tmp[6 - n++] = (byte) (0x80 | (x & 0x3f));
            x >>= 6;
            mfb >>= 1;
        } while (x > mfb);
        tmp[6 - n] = (byte) ((~mfb << 1) | x);
        System.arraycopy(tmp, 6 - n, out, pos, n);
        return n;
    }
}
