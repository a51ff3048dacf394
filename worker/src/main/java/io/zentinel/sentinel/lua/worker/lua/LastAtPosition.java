package io.zentinel.sentinel.lua.worker.lua;

import java.util.Arrays;

import org.luaj.vm2.LuaString;

/**
 * The Lua string last kept for each position of a header list. A client sends the same headers
 * in the same order request after request, most with the same values, so a string that matches
 * the one kept at its position byte for byte can be used again: comparing the bytes is cheaper
 * than making a new Lua string, which LuaJ hashes as it makes it, or than looking one up by
 * hash.
 *
 * <p>Shared by the worker's threads without a lock: a slot holds an immutable Lua string or
 * nothing, and whichever a thread sees is a correct answer for the bytes it matches.
 */
final class LastAtPosition {
    /** Positions kept; headers further down a list are never matched. */
    static final int POSITIONS = 64;

    private final LuaString[] kept = new LuaString[POSITIONS];

    /**
     * The string kept at {@code position} if its bytes are the {@code length} bytes of
     * {@code bytes} from {@code offset}, else {@code null}.
     */
    LuaString find(int position, byte[] bytes, int offset, int length) {
        if (position >= POSITIONS) {
            return null;
        }
        LuaString last = kept[position];
        return last != null && last.m_length == length
                && Arrays.equals(last.m_bytes, last.m_offset, last.m_offset + length, bytes, offset, offset + length)
                ? last : null;
    }

    /** Keeps {@code string} for {@code position}; a position beyond {@link #POSITIONS} is ignored. */
    void keep(int position, LuaString string) {
        if (position < POSITIONS) {
            kept[position] = string;
        }
    }
}
