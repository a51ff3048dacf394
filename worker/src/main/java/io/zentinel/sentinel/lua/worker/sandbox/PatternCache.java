package io.zentinel.sentinel.lua.worker.sandbox;

import java.util.Arrays;

import org.luaj.vm2.LuaString;

/**
 * The patterns a VM read most recently, so that a script calling {@code match} in a loop reads
 * its pattern once: 64 slots chosen by the pattern's hash, the newest pattern taking the slot;
 * patterns longer than {@value #MAX_PATTERN_BYTES} bytes are read on every call. At most 64
 * small patterns are held, whatever scripts do.
 *
 * <p>One cache belongs to one VM's {@link InstructionBudget} and is used by the threads of that
 * VM, one at a time, as the budget is.
 */
final class PatternCache {
    static final int SLOTS = 64;
    static final int MAX_PATTERN_BYTES = 128;

    private final LuaString[] sources = new LuaString[SLOTS];
    private final LuaPattern[] patterns = new LuaPattern[SLOTS];
    /** Whether the slot's pattern was read for gmatch (a leading {@code ^} is plain there). */
    private final boolean[] forGmatch = new boolean[SLOTS];

    /** {@code source} read as {@link LuaPattern#read} does, from the cache when it holds it. */
    LuaPattern get(LuaString source, boolean anchorAllowed) {
        if (source.m_length > MAX_PATTERN_BYTES) {
            return LuaPattern.read(source, anchorAllowed);
        }
        int slot = (source.hashCode() * 0x9E3779B9 >>> 26) & (SLOTS - 1);
        LuaString cached = sources[slot];
        if (cached != null && forGmatch[slot] == !anchorAllowed && (cached == source || cached.raweq(source))) {
            return patterns[slot];
        }
        LuaPattern pattern = LuaPattern.read(source, anchorAllowed);
        // a substring shares its whole string's bytes: keep only the pattern's
        sources[slot] = source.m_offset == 0 && source.m_bytes.length == source.m_length ? source
                : LuaString.valueOf(Arrays.copyOfRange(source.m_bytes, source.m_offset, source.m_offset + source.m_length));
        patterns[slot] = pattern;
        forGmatch[slot] = !anchorAllowed;
        return pattern;
    }
}
