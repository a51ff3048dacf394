package io.zentinel.sentinel.lua.worker.lua;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

import org.luaj.vm2.LuaString;

/**
 * The Lua strings of header names, made once per name and shared by every call and VM of the
 * worker ({@link #SHARED}): the same few dozen names arrive with every request, and making a
 * {@link LuaString} (copying, hashing) for each of them in every call that lists the headers was
 * a large part of turning them into a table. Lua strings are immutable, so sharing one across
 * sandboxes shares nothing a script can change.
 *
 * <p>Only the first {@code maxNames} names seen are kept: names never seen before (or made up
 * to fill the cache) still get correct, merely uncached, strings.
 *
 * <p>The name last seen at each position of a list is kept too ({@link LastAtPosition}): a name
 * that matches it is found without hashing it, which was most of what a cached name still cost.
 */
final class HeaderNames {
    /** The worker's cache; 512 names is far more than the headers of real traffic. */
    static final HeaderNames SHARED = new HeaderNames(512);

    private final int maxNames;
    private final ConcurrentHashMap<LuaString, LuaString> names = new ConcurrentHashMap<>();
    private final LastAtPosition lastAtPosition = new LastAtPosition();

    HeaderNames(int maxNames) {
        this.maxNames = maxNames;
    }

    /** {@code name} (already in lower case) as a Lua string. */
    LuaString lua(String name) {
        return shared(HttpHandle.text(name));
    }

    /**
     * Like {@link #lua(byte[], int, int)} for the name of the header at {@code position}
     * (counting from 0) of its list.
     */
    LuaString lua(byte[] bytes, int offset, int length, int position) {
        LuaString last = lastAtPosition.find(position, bytes, offset, length);
        if (last != null) {
            return last; // the same bytes as a name already in lower case
        }
        LuaString name = lua(bytes, offset, length);
        lastAtPosition.keep(position, name);
        return name;
    }

    /**
     * The name whose UTF-8 bytes are {@code length} bytes of {@code bytes} from {@code offset},
     * in lower case, as a Lua string that does not hold on to {@code bytes}.
     */
    LuaString lua(byte[] bytes, int offset, int length) {
        for (int i = offset, end = offset + length; i < end; i++) {
            byte b = bytes[i];
            if (b < 0 || (b >= 'A' && b <= 'Z')) { // lower-case it as HeaderView.lower does
                return lua(HeaderView.lower(new String(bytes, offset, length, StandardCharsets.UTF_8)));
            }
        }
        LuaString known = names.get(LuaString.valueUsing(bytes, offset, length));
        // LuaJ's valueOf(byte[], int, int) shares the array too: copy the name out of the list
        return known != null ? known : shared(LuaString.valueUsing(Arrays.copyOfRange(bytes, offset, offset + length)));
    }

    private LuaString shared(LuaString name) {
        LuaString known = names.get(name);
        if (known != null) {
            return known;
        }
        if (names.size() < maxNames) {
            known = names.putIfAbsent(name, name);
        }
        return known != null ? known : name;
    }

    int size() {
        return names.size();
    }
}
