package io.zentinel.sentinel.lua.worker.lua;

import java.util.concurrent.ConcurrentHashMap;

import org.luaj.vm2.LuaString;

/**
 * The Lua strings of header names, made once per name and shared by every call and VM of the
 * worker ({@link #SHARED}): the same few dozen names arrive with every request, and making a
 * {@link LuaString} (encoding, allocating, hashing) for each of them in every call that lists
 * the headers was a large part of turning them into a table. Lua strings are immutable, so
 * sharing one across sandboxes shares nothing a script can change.
 *
 * <p>Only the first {@code maxNames} names seen are kept: names never seen before (or made up
 * to fill the cache) still get correct, merely uncached, strings.
 */
final class HeaderNames {
    /** The worker's cache; 512 names is far more than the headers of real traffic. */
    static final HeaderNames SHARED = new HeaderNames(512);

    private final int maxNames;
    private final ConcurrentHashMap<String, LuaString> names = new ConcurrentHashMap<>();

    HeaderNames(int maxNames) {
        this.maxNames = maxNames;
    }

    /** {@code name} (already in lower case) as a Lua string. */
    LuaString lua(String name) {
        LuaString known = names.get(name);
        if (known != null) {
            return known;
        }
        LuaString made = HttpHandle.text(name);
        if (names.size() < maxNames) {
            names.putIfAbsent(name, made);
        }
        return made;
    }

    int size() {
        return names.size();
    }
}
