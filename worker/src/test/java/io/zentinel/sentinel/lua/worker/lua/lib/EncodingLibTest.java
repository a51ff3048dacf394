package io.zentinel.sentinel.lua.worker.lua.lib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.zip.GZIPOutputStream;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.worker.sandbox.BudgetExceededError;
import org.junit.jupiter.api.Test;

class EncodingLibTest {

    private final LuaHarness lua = new LuaHarness(TestGuard.lenient());

    @Test
    void base64MatchesTheRfc4648Vectors() {
        String[][] vectors = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
            {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
        for (String[] v : vectors) {
            assertEquals(v[1], lua.text("encoding.base64_encode('" + v[0] + "')"), v[0]);
            assertEquals(v[0], lua.text("encoding.base64_decode('" + v[1] + "')"), v[1]);
        }
    }

    @Test
    void base64DecodeAcceptsMissingPadding() {
        assertEquals("f", lua.text("encoding.base64_decode('Zg')"));
        assertEquals("fooba", lua.text("encoding.base64_decode('Zm9vYmE')"));
    }

    @Test
    void base64DecodeRejectsInvalidInput() {
        assertEquals("encoding.base64_decode: invalid input (Illegal base64 character 2d)",
                lua.error("encoding.base64_decode('-_8')"));
        assertEquals("encoding.base64_decode: invalid input (Illegal base64 character 20)",
                lua.error("encoding.base64_decode('Zm9v YmFy')"));
        assertEquals("encoding.base64_decode: invalid input (Last unit does not have enough valid bits)",
                lua.error("encoding.base64_decode('Zm9vY')"));
    }

    @Test
    void base64HandlesBinaryData() {
        assertEquals("AP/+gA==", lua.text("encoding.base64_encode('\\0\\255\\254\\128')"));
        assertArrayEquals(new byte[] {0, (byte) 0xFF, (byte) 0xFE, (byte) 0x80}, lua.bytes("encoding.base64_decode('AP/+gA==')"));
    }

    @Test
    void base64UrlUsesTheUrlAlphabetWithoutPadding() {
        assertEquals("-_8", lua.text("encoding.base64url_encode('\\251\\255')"));
        assertEquals("Zg", lua.text("encoding.base64url_encode('f')"));
        assertArrayEquals(new byte[] {(byte) 0xFB, (byte) 0xFF}, lua.bytes("encoding.base64url_decode('-_8')"));
        assertArrayEquals(new byte[] {(byte) 0xFB, (byte) 0xFF}, lua.bytes("encoding.base64url_decode('-_8=')"));
        assertEquals("encoding.base64url_decode: invalid input (Illegal base64 character 2b)",
                lua.error("encoding.base64url_decode('+/8=')"));
    }

    @Test
    void hexMatchesTheRfc4648Vectors() {
        assertEquals("666f6f626172", lua.text("encoding.hex_encode('foobar')"));
        assertEquals("", lua.text("encoding.hex_encode('')"));
        assertEquals("00ff7f80", lua.text("encoding.hex_encode('\\0\\255\\127\\128')"));
        assertEquals("foobar", lua.text("encoding.hex_decode('666F6f626172')"));
        assertArrayEquals(new byte[] {0, (byte) 0xFF}, lua.bytes("encoding.hex_decode('00FF')"));
    }

    @Test
    void hexDecodeRejectsOddLengthAndNonHexDigits() {
        assertEquals("encoding.hex_decode: odd number of hex digits (3)", lua.error("encoding.hex_decode('abc')"));
        assertEquals("encoding.hex_decode: invalid hex digit at position 3", lua.error("encoding.hex_decode('00zz')"));
        assertEquals("encoding.hex_decode: invalid hex digit at position 1", lua.error("encoding.hex_decode(' 0')"));
    }

    @Test
    void encodedOutputCountsAgainstTheGuardsStringLimit() {
        LuaHarness small = new LuaHarness(TestGuard.withLimits(100, 10_000));
        assertEquals(100, small.eval("#encoding.hex_encode(('x'):rep(50))").toint());
        var e = assertThrows(BudgetExceededError.class, () -> small.run("return pcall(encoding.hex_encode, ('x'):rep(51))"));
        assertEquals("string length (102) exceeds the maximum allowed (100, from 'resource-limits.max-string-bytes')",
                e.getMessage());
        assertThrows(BudgetExceededError.class, () -> small.run("return pcall(encoding.base64_encode, ('x'):rep(76))"));
    }

    @Test
    void gzipRoundTripsTextAndBinaryData() {
        assertEquals("data", lua.text("encoding.gzip_decompress(encoding.gzip_compress('data'))"));
        assertEquals("", lua.text("encoding.gzip_decompress(encoding.gzip_compress(''))"));
        assertTrue(lua.eval("(function() local s = '' for i = 0, 255 do s = s .. string.char(i) end s = s:rep(100) "
                + "return encoding.gzip_decompress(encoding.gzip_compress(s, 9)) == s end)()").toboolean());
    }

    @Test
    void gzipCompressWritesAStandardGzipHeaderAndCompresses() {
        assertTrue(lua.eval("encoding.gzip_compress('x'):sub(1, 3) == '\\31\\139\\8'").toboolean());
        assertTrue(lua.eval("#encoding.gzip_compress(('a'):rep(100000)) < 1000").toboolean());
        assertTrue(lua.eval("#encoding.gzip_compress(('a'):rep(1000), 0) > 1000").toboolean());
        assertEquals("bad argument #2 to 'encoding.gzip_compress' (level must be between 0 and 9 (was 10))",
                lua.error("encoding.gzip_compress('a', 10)"));
    }

    @Test
    void gzipDecompressReadsDataWrittenByTheJdk() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write("hello from java".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        lua.globals.set("data", LuaBytes.wrap(bytes.toByteArray()));
        assertEquals("hello from java", lua.text("encoding.gzip_decompress(data)"));
    }

    @Test
    void gzipDecompressRejectsDataThatIsNotGzip() {
        assertEquals("encoding.gzip_decompress: invalid gzip data (Not in GZIP format)",
                lua.error("encoding.gzip_decompress('plain text')"));
        assertEquals("encoding.gzip_decompress: truncated gzip data", lua.error("encoding.gzip_decompress('')"));
        assertEquals("encoding.gzip_decompress: truncated gzip data",
                lua.error("encoding.gzip_decompress(encoding.gzip_compress(('abc'):rep(100)):sub(1, 20))"));
        String corrupt = lua.error("(function() local z = encoding.gzip_compress('hello world') "
                + "return encoding.gzip_decompress(z:sub(1, -9) .. '\\0\\0\\0\\0' .. z:sub(-4)) end)()");
        assertEquals("encoding.gzip_decompress: invalid gzip data (Corrupt GZIP trailer)", corrupt);
    }

    @Test
    void aGzipBombEndsWithTheStringLimitWhichPcallCannotCatch() throws IOException {
        // 64 MiB of zeros compress to about 64 KiB; the string limit is 1 MiB
        byte[] bomb = gzipOfZeros(64L * 1024 * 1024);
        assertTrue(bomb.length < 128 * 1024, "bomb is " + bomb.length + " bytes");
        LuaHarness capped = new LuaHarness(TestGuard.withLimits(1024 * 1024, 10_000));
        capped.globals.set("bomb", LuaBytes.wrap(bomb));
        BudgetExceededError e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(
                BudgetExceededError.class, () -> capped.run("return pcall(encoding.gzip_decompress, bomb)")));
        assertEquals(FailureKind.STRING_LIMIT, e.kind());
        assertEquals("string length (1048577) exceeds the maximum allowed (1048576, from "
                + "'resource-limits.max-string-bytes')", e.getMessage());
    }

    @Test
    void decompressionUpToTheStringLimitSucceeds() throws IOException {
        LuaHarness capped = new LuaHarness(TestGuard.withLimits(1000, 10_000));
        capped.globals.set("exact", LuaBytes.wrap(gzipOfZeros(1000)));
        capped.globals.set("over", LuaBytes.wrap(gzipOfZeros(1001)));
        assertEquals(1000, capped.eval("#encoding.gzip_decompress(exact)").toint());
        BudgetExceededError e = assertThrows(BudgetExceededError.class,
                () -> capped.run("return encoding.gzip_decompress(over)"));
        assertEquals("string length (1001) exceeds the maximum allowed (1000, from 'resource-limits.max-string-bytes')",
                e.getMessage());
    }

    @Test
    void gzipDecompressChecksTheDeadline() throws IOException {
        TestGuard expired = TestGuard.withDeadline(Duration.ZERO);
        LuaHarness late = new LuaHarness(expired);
        late.globals.set("data", LuaBytes.wrap(gzipOfZeros(1024 * 1024)));
        var e = assertThrows(BudgetExceededError.class, () -> late.run("return pcall(encoding.gzip_decompress, data)"));
        assertEquals(FailureKind.TIME_LIMIT, e.kind());
    }

    private static byte[] gzipOfZeros(long n) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] zeros = new byte[64 * 1024];
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            for (long done = 0; done < n; done += zeros.length) {
                gz.write(zeros, 0, (int) Math.min(zeros.length, n - done));
            }
        }
        return bytes.toByteArray();
    }
}
