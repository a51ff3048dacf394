package io.zentinel.sentinel.lua.worker.lua.lib;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.luaj.vm2.LuaString;

/**
 * Conversions between Lua strings (byte strings) and Java bytes or text.
 *
 * <p>Never use LuaJ's own {@code LuaValue.valueOf(String)} or {@code tojstring()} for text that may
 * hold characters outside the BMP: LuaJ 3.0.1 encodes each UTF-16 unit separately, so a surrogate
 * pair becomes six bytes of CESU-8 instead of four bytes of UTF-8, and decodes four-byte sequences
 * wrongly. These methods use the JDK's UTF-8 codec instead.
 */
public final class LuaBytes {

    private LuaBytes() {
    }

    /** A copy of the string's bytes. */
    static byte[] of(LuaString s) {
        return Arrays.copyOfRange(s.m_bytes, s.m_offset, s.m_offset + s.m_length);
    }

    /** A Lua string that takes ownership of {@code bytes} (the caller must not change them afterwards). */
    static LuaString wrap(byte[] bytes) {
        return LuaString.valueUsing(bytes);
    }

    /** The UTF-8 encoding of {@code text} as a Lua string (text must hold no lone surrogates). */
    static LuaString utf8(String text) {
        return LuaString.valueUsing(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The string's bytes as text, each byte one char (ISO-8859-1): for ASCII formats such as dates. */
    static String latin1(LuaString s) {
        return new String(s.m_bytes, s.m_offset, s.m_length, StandardCharsets.ISO_8859_1);
    }

    /** The string decoded as strict UTF-8, or {@code null} when it is not well-formed UTF-8. */
    static String strictUtf8(LuaString s) {
        if (Utf8Codec.firstInvalid(s.m_bytes, s.m_offset, s.m_length) >= 0) {
            return null;
        }
        return new String(s.m_bytes, s.m_offset, s.m_length, StandardCharsets.UTF_8);
    }

    /** Whether {@code text} holds an unpaired surrogate, which has no UTF-8 encoding. */
    public static boolean hasLoneSurrogate(String text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
