package io.zentinel.sentinel.lua.worker.lua.lib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;

import org.junit.jupiter.api.Test;

class CryptoLibTest {

    private final LuaHarness lua = new LuaHarness(TestGuard.lenient());

    @Test
    void sha256MatchesTheNistVectors() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", lua.text("crypto.sha256('abc')"));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", lua.text("crypto.sha256('')"));
        assertEquals("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
                lua.text("crypto.sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')"));
    }

    @Test
    void sha384AndSha512MatchTheNistVectors() {
        assertEquals("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                + "8086072ba1e7cc2358baeca134c825a7", lua.text("crypto.sha384('abc')"));
        assertEquals("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", lua.text("crypto.sha512('abc')"));
    }

    @Test
    void sha1AndMd5MatchTheirReferenceVectors() {
        assertEquals("a9993e364706816aba3e25717850c26c9cd0d89d", lua.text("crypto.sha1('abc')"));
        assertEquals("900150983cd24fb0d6963f7d28e17f72", lua.text("crypto.md5('abc')"));
        assertEquals("d41d8cd98f00b204e9800998ecf8427e", lua.text("crypto.md5('')"));
    }

    @Test
    void hashesTheBytesOfTheStringNotItsText() {
        // python: hashlib.sha256(b'\xff\x00').hexdigest(); the UTF-8 of the text U+00FF U+0000 would give 8c0979a0...
        assertEquals("ea5dbf9596d187e9500f23e9a680109475341cf4e81f7e043f7d97152c10772f",
                lua.text("crypto.sha256('\\255\\0')"));
        assertEquals(lua.text("crypto.sha256(string.char(255, 0))"), lua.text("crypto.sha256('\\255\\0')"));
    }

    @Test
    void hmacSha256MatchesRfc4231() {
        assertEquals("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                lua.text("crypto.hmac_sha256(('\\x0b'):rep(20), 'Hi There')"));
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                lua.text("crypto.hmac_sha256('Jefe', 'what do ya want for nothing?')"));
        assertEquals("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                lua.text("crypto.hmac_sha256(('\\xaa'):rep(131), 'Test Using Larger Than Block-Size Key - Hash Key First')"));
    }

    @Test
    void hmacSha512MatchesRfc4231() {
        assertEquals("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                + "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
                lua.text("crypto.hmac_sha512(('\\x0b'):rep(20), 'Hi There')"));
        assertEquals("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                + "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                lua.text("crypto.hmac_sha512('Jefe', 'what do ya want for nothing?')"));
    }

    @Test
    void hmacAcceptsAnEmptyKey() {
        // python: hmac.new(b'', b'', hashlib.sha256).hexdigest()
        assertEquals("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
                lua.text("crypto.hmac_sha256('', '')"));
    }

    @Test
    void randomBytesReturnsRawBytesOfTheRequestedLength() {
        assertEquals(32, lua.eval("#crypto.random_bytes(32)").toint());
        assertEquals(0, lua.eval("#crypto.random_bytes(0)").toint());
        assertEquals(1024, lua.eval("#crypto.random_bytes(1024)").toint());
        assertTrue(lua.eval("crypto.random_bytes(16) ~= crypto.random_bytes(16)").toboolean());
    }

    @Test
    void randomHexRendersNRandomBytesAsTwoNHexDigits() {
        assertTrue(lua.eval("#crypto.random_hex(16) == 32 and crypto.random_hex(16):match('^[0-9a-f]+$') ~= nil")
                .toboolean());
        SecureRandom fixed = new FixedRandom(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef});
        LuaHarness fake = new LuaHarness(TestGuard.lenient(),
                g -> g.load(new CryptoLib(TestGuard.lenient(), CryptoLib.DEFAULT_MAX_RANDOM_BYTES, fixed)));
        assertEquals("deadbeef", fake.text("crypto.random_hex(4)"));
        assertArrayEquals(new byte[] {(byte) 0xde, (byte) 0xad}, fake.bytes("crypto.random_bytes(2)"));
    }

    @Test
    void randomBytesRejectsCountsOutsideTheCap() {
        assertEquals("crypto.random_bytes: byte count (1025) exceeds the maximum allowed (1024)",
                lua.error("crypto.random_bytes(1025)"));
        assertEquals("crypto.random_hex: byte count (4096) exceeds the maximum allowed (1024)",
                lua.error("crypto.random_hex(4096)"));
        assertEquals("crypto.random_bytes: byte count must be >= 0 (was -1)", lua.error("crypto.random_bytes(-1)"));
        assertEquals("bad argument #1 to 'crypto.random_bytes' (number has no integer representation)",
                lua.error("crypto.random_bytes(1.5)"));
    }

    @Test
    void aSmallerCapIsNamedInTheMessage() {
        LuaHarness capped = new LuaHarness(TestGuard.lenient(),
                g -> g.load(new CryptoLib(TestGuard.lenient(), 8, new SecureRandom())));
        assertEquals("crypto.random_bytes: byte count (9) exceeds the maximum allowed (8)",
                capped.error("crypto.random_bytes(9)"));
    }

    @Test
    void nonStringArgumentsAreNamedInTheError() {
        assertEquals("bad argument #1 to 'crypto.sha256' (string expected, got table)", lua.error("crypto.sha256({})"));
        assertEquals("bad argument #2 to 'crypto.hmac_sha256' (string expected, got no value)",
                lua.error("crypto.hmac_sha256('k')"));
        assertEquals(lua.text("crypto.sha256('42')"), lua.text("crypto.sha256(42)"));
    }

    /** A SecureRandom that repeats a fixed byte pattern. */
    private static final class FixedRandom extends SecureRandom {
        private final byte[] pattern;

        FixedRandom(byte[] pattern) {
            this.pattern = pattern;
        }

        @Override
        public void nextBytes(byte[] bytes) {
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = pattern[i % pattern.length];
            }
        }
    }
}
