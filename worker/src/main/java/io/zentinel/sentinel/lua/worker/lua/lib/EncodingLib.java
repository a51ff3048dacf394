package io.zentinel.sentinel.lua.worker.lua.lib;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import io.zentinel.sentinel.lua.worker.sandbox.LuaArgs;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The Lua {@code encoding} module: base64 (RFC 4648 sections 4 and 5), hex and gzip.
 *
 * <p>{@code gzip_decompress} streams its output and checks the string limit
 * ({@code resource-limits.max-string-bytes}) each time its buffer grows, so a gzip bomb ends as
 * soon as its output passes the limit, with the string limit's {@code BudgetExceededError}:
 * a limit hit like any other ({@code string-limit}), which {@code pcall} cannot catch, and not a
 * Lua error a script could swallow and retry. The buffer never exceeds the limit plus one byte.
 */
public final class EncodingLib extends LuaModule {

    private static final int CHUNK = 64 * 1024;
    private static final HexFormat HEX = HexFormat.of();

    /** A module whose string results, {@code gzip_decompress}'s included, are bounded by the guard's string limit. */
    public EncodingLib(ExecutionGuard guard) {
        super(guard);
    }

    @Override
    public String moduleName() {
        return "encoding";
    }

    @Override
    void define(LuaTable module) {
        function(module, "base64_encode", args -> encode64(args, "encoding.base64_encode", Base64.getEncoder()));
        function(module, "base64_decode", args -> decode64(args, "encoding.base64_decode", Base64.getDecoder()));
        function(module, "base64url_encode",
                args -> encode64(args, "encoding.base64url_encode", Base64.getUrlEncoder().withoutPadding()));
        function(module, "base64url_decode",
                args -> decode64(args, "encoding.base64url_decode", Base64.getUrlDecoder()));
        function(module, "hex_encode", this::hexEncode);
        function(module, "hex_decode", EncodingLib::hexDecode);
        function(module, "gzip_compress", this::gzipCompress);
        function(module, "gzip_decompress", this::gzipDecompress);
    }

    private LuaValue encode64(Varargs args, String fn, Base64.Encoder encoder) {
        LuaString s = LuaArgs.string(args, 1, fn);
        guard.checkStringLength((s.m_length + 2L) / 3 * 4);
        return LuaBytes.wrap(encoder.encode(LuaBytes.of(s)));
    }

    /** Padding is optional; characters outside the alphabet (whitespace included) are errors. */
    private static LuaValue decode64(Varargs args, String fn, Base64.Decoder decoder) {
        LuaString s = LuaArgs.string(args, 1, fn);
        try {
            return LuaBytes.wrap(decoder.decode(LuaBytes.of(s)));
        } catch (IllegalArgumentException e) {
            throw new LuaError(fn + ": invalid input (" + e.getMessage() + ")");
        }
    }

    private LuaValue hexEncode(Varargs args) {
        LuaString s = LuaArgs.string(args, 1, "encoding.hex_encode");
        guard.checkStringLength(s.m_length * 2L);
        return LuaValue.valueOf(HEX.formatHex(s.m_bytes, s.m_offset, s.m_offset + s.m_length));
    }

    private static LuaValue hexDecode(Varargs args) {
        String fn = "encoding.hex_decode";
        LuaString s = LuaArgs.string(args, 1, fn);
        if (s.m_length % 2 != 0) {
            throw new LuaError(fn + ": odd number of hex digits (" + s.m_length + ")");
        }
        for (int i = 0; i < s.m_length; i++) {
            if (Character.digit(s.m_bytes[s.m_offset + i], 16) < 0) {
                throw new LuaError(fn + ": invalid hex digit at position " + (i + 1));
            }
        }
        return LuaBytes.wrap(HEX.parseHex(LuaBytes.latin1(s)));
    }

    private LuaValue gzipCompress(Varargs args) {
        String fn = "encoding.gzip_compress";
        LuaString s = LuaArgs.string(args, 1, fn);
        long level = LuaArgs.optInteger(args, 2, fn, Deflater.DEFAULT_COMPRESSION);
        if (level != Deflater.DEFAULT_COMPRESSION && (level < 0 || level > 9)) {
            throw LuaArgs.argError(2, fn, "level must be between 0 and 9 (was " + level + ")");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, s.m_length / 4));
        try (GZIPOutputStream gz = new LeveledGzipStream(out, (int) level)) {
            for (int off = 0; off < s.m_length; off += CHUNK) {
                guard.checkDeadline();
                gz.write(s.m_bytes, s.m_offset + off, Math.min(CHUNK, s.m_length - off));
            }
        } catch (IOException e) {
            throw new LuaError(fn + ": " + e.getMessage());
        }
        guard.checkStringLength(out.size());
        return LuaBytes.wrap(out.toByteArray());
    }

    private LuaValue gzipDecompress(Varargs args) {
        String fn = "encoding.gzip_decompress";
        LuaString s = LuaArgs.string(args, 1, fn);
        // one byte more than the limit is enough to know that the output is too long
        long cap = Math.min(guard.maxStringBytes(), Integer.MAX_VALUE - 16) + 1;
        byte[] out = new byte[(int) Math.min(Math.max(64, s.m_length * 4L), cap)];
        int len = 0;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(s.m_bytes, s.m_offset, s.m_length))) {
            while (true) {
                guard.checkDeadline();
                if (len == out.length) {
                    guard.checkStringLength(len); // a gzip bomb ends here, past the string limit
                    out = Arrays.copyOf(out, (int) Math.min((long) out.length * 2, cap));
                }
                int n = in.read(out, len, Math.min(CHUNK, out.length - len));
                if (n < 0) {
                    break;
                }
                len += n;
            }
        } catch (EOFException e) {
            throw new LuaError(fn + ": truncated gzip data");
        } catch (ZipException e) {
            throw new LuaError(fn + ": invalid gzip data (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new LuaError(fn + ": " + e.getMessage());
        }
        guard.checkStringLength(len);
        return LuaBytes.wrap(len == out.length ? out : Arrays.copyOf(out, len));
    }

    /** {@link GZIPOutputStream} with a chosen compression level (its deflater is protected). */
    private static final class LeveledGzipStream extends GZIPOutputStream {
        LeveledGzipStream(ByteArrayOutputStream out, int level) throws IOException {
            super(out, CHUNK);
            def.setLevel(level);
        }
    }
}
