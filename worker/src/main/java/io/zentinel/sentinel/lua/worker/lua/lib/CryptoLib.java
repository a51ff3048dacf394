package io.zentinel.sentinel.lua.worker.lua.lib;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.Supplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import io.zentinel.sentinel.lua.worker.sandbox.LuaArgs;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The Lua {@code crypto} module: hashes and HMACs as lowercase hex, and random bytes.
 *
 * <p>Every function works on the bytes of its Lua string arguments. {@code md5} and {@code sha1}
 * are there for interoperability (ETags, legacy signatures), not for security.
 */
public final class CryptoLib extends LuaModule {

    /** Default largest {@code n} for {@code crypto.random_bytes(n)} and {@code crypto.random_hex(n)}. */
    public static final int DEFAULT_MAX_RANDOM_BYTES = 1024;

    private static final HexFormat HEX = HexFormat.of();

    private final int maxRandomBytes;
    private final Supplier<SecureRandom> random;

    /**
     * The process's one {@link SecureRandom} (it is thread-safe), made when a script first asks
     * for random bytes: making it initialises the JDK's security providers, which took 13-21 ms
     * of a new worker's start (more under its cgroup's CPU quota), for scripts that rarely use it.
     */
    private static final class ProcessRandom {
        static final SecureRandom INSTANCE = new SecureRandom();
    }

    /** A module with {@link #DEFAULT_MAX_RANDOM_BYTES} and the process's {@link SecureRandom}, made at its first use. */
    public CryptoLib(ExecutionGuard guard) {
        this(guard, DEFAULT_MAX_RANDOM_BYTES, () -> ProcessRandom.INSTANCE);
    }

    /**
     * @param maxRandomBytes largest byte count {@code random_bytes}/{@code random_hex} accept (>= 0)
     * @param random the source of random bytes
     */
    public CryptoLib(ExecutionGuard guard, int maxRandomBytes, SecureRandom random) {
        this(guard, maxRandomBytes, supplying(Objects.requireNonNull(random, "random")));
    }

    private CryptoLib(ExecutionGuard guard, int maxRandomBytes, Supplier<SecureRandom> random) {
        super(guard);
        if (maxRandomBytes < 0) {
            throw new IllegalArgumentException("maxRandomBytes must be >= 0 (was " + maxRandomBytes + ")");
        }
        this.maxRandomBytes = maxRandomBytes;
        this.random = random;
    }

    private static Supplier<SecureRandom> supplying(SecureRandom random) {
        return () -> random;
    }

    @Override
    public String moduleName() {
        return "crypto";
    }

    @Override
    void define(LuaTable module) {
        digest(module, "md5", "MD5");
        digest(module, "sha1", "SHA-1");
        digest(module, "sha256", "SHA-256");
        digest(module, "sha384", "SHA-384");
        digest(module, "sha512", "SHA-512");
        hmac(module, "hmac_sha1", "HmacSHA1");
        hmac(module, "hmac_sha256", "HmacSHA256");
        hmac(module, "hmac_sha384", "HmacSHA384");
        hmac(module, "hmac_sha512", "HmacSHA512");
        function(module, "random_bytes", args -> LuaBytes.wrap(randomBytes(args, "crypto.random_bytes")));
        function(module, "random_hex", args -> LuaValue.valueOf(HEX.formatHex(randomBytes(args, "crypto.random_hex"))));
    }

    private void digest(LuaTable module, String name, String algorithm) {
        String fn = "crypto." + name;
        function(module, name, args -> {
            LuaString data = LuaArgs.string(args, 1, fn);
            MessageDigest md;
            try {
                md = MessageDigest.getInstance(algorithm);
            } catch (GeneralSecurityException e) {
                throw new LuaError(fn + ": " + algorithm + " is not available (" + e.getMessage() + ")");
            }
            md.update(data.m_bytes, data.m_offset, data.m_length);
            return LuaValue.valueOf(HEX.formatHex(md.digest()));
        });
    }

    private void hmac(LuaTable module, String name, String algorithm) {
        String fn = "crypto." + name;
        function(module, name, args -> {
            LuaString key = LuaArgs.string(args, 1, fn);
            LuaString message = LuaArgs.string(args, 2, fn);
            // SecretKeySpec refuses an empty key, but HMAC pads every short key with zero bytes,
            // so the empty key and a single zero byte are the same key (RFC 2104, section 2)
            byte[] keyBytes = key.m_length == 0 ? new byte[1] : LuaBytes.of(key);
            try {
                Mac mac = Mac.getInstance(algorithm);
                mac.init(new SecretKeySpec(keyBytes, algorithm));
                mac.update(message.m_bytes, message.m_offset, message.m_length);
                return LuaValue.valueOf(HEX.formatHex(mac.doFinal()));
            } catch (GeneralSecurityException e) {
                throw new LuaError(fn + ": " + algorithm + " failed (" + e.getMessage() + ")");
            }
        });
    }

    private byte[] randomBytes(Varargs args, String fn) {
        long n = LuaArgs.integer(args, 1, fn);
        if (n < 0) {
            throw new LuaError(fn + ": byte count must be >= 0 (was " + n + ")");
        }
        if (n > maxRandomBytes) {
            throw new LuaError(fn + ": byte count (" + n + ") exceeds the maximum allowed (" + maxRandomBytes + ")");
        }
        byte[] bytes = new byte[(int) n];
        random.get().nextBytes(bytes);
        return bytes;
    }
}
