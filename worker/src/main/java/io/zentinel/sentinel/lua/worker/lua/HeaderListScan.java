package io.zentinel.sentinel.lua.worker.lua;

import com.google.protobuf.CodedInputStream;
import io.zentinel.sentinel.lua.protocol.HeaderListWire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.BiConsumer;

import org.luaj.vm2.LuaString;

/**
 * Reads a call's encoded {@code HeaderList} in place (in the call's frame), for the scripts that
 * only read headers: values become Lua strings copied from the list's bytes (short single values
 * the strings kept for their position, see {@link #MAX_KEPT_VALUE_BYTES}), names come from
 * {@link HeaderNames}, and no Java string or message is made for a header that is not asked for.
 * Decoding the whole list into Java strings, and encoding the ones a script reads again for Lua,
 * was most of the worker's cost of headers.
 *
 * <p>The strings hold the bytes the supervisor wrote: the proxy's text in UTF-8. Names are
 * compared as {@link HeaderView} compares them: ignoring ASCII case, and through Java's rules for
 * a name or key that is not ASCII.
 */
final class HeaderListScan {
    /**
     * Values of single-valued headers up to this long are kept by position: browsers send most
     * of theirs unchanged with every request. Longer ones (cookies, tokens) change more often
     * and would cost more memory to keep.
     */
    static final int MAX_KEPT_VALUE_BYTES = 256;
    /** The worker's values kept by position, shared by its VMs as {@link HeaderNames} is. */
    private static final LastAtPosition VALUES = new LastAtPosition();

    private HeaderListScan() {
    }

    /**
     * Calls {@code each} with the lower-case name and the values joined with {@code ", "} of every
     * header that has a value, in order; a name the list repeats is passed again.
     */
    static void forEachJoined(ByteSpan list, BiConsumer<LuaString, LuaString> each) {
        Cursor header = new Cursor(list);
        for (int position = 0; header.next(); position++) {
            if (header.valueCount > 0) {
                each.accept(HeaderNames.SHARED.lua(list.bytes(), header.nameAt, header.nameLength, position),
                        header.value(position));
            }
        }
    }

    /** The first value of the first header named {@code name}, ignoring case, or {@code null}. */
    static String first(ByteSpan list, String name) {
        Cursor header = new Cursor(list);
        while (header.next()) {
            if (header.valueCount > 0 && header.named(name, false)) {
                return new String(list.bytes(), header.valueAt[0], header.valueLength[0], StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /**
     * The values of every header whose lower-case name is {@code key} (itself in lower case),
     * joined with {@code ", "}, or {@code null} when none has a value.
     */
    static LuaString joined(ByteSpan list, String key) {
        Cursor header = new Cursor(list);
        LuaString found = null;
        while (header.next()) {
            if (header.valueCount > 0 && header.named(key, true)) {
                found = header.joined(found);
            }
        }
        return found;
    }

    /** One header after another of an encoded list: where its name and values are, in the list's array. */
    private static final class Cursor {
        private final byte[] list;
        /** Where the list starts in its array: positions the stream counts from there. */
        private final int start;
        private final CodedInputStream in;
        int nameAt;
        int nameLength;
        int valueCount;
        int[] valueAt = new int[4];
        int[] valueLength = new int[4];

        Cursor(ByteSpan list) {
            this.list = list.bytes();
            this.start = list.offset();
            this.in = CodedInputStream.newInstance(list.bytes(), list.offset(), list.length());
        }

        /** Moves to the next header; {@code false} at the end of the list. */
        boolean next() {
            try {
                while (!in.isAtEnd()) {
                    int tag = in.readTag();
                    if (tag != HeaderListWire.HEADER_TAG) {
                        in.skipField(tag);
                        continue;
                    }
                    int limit = in.pushLimit(in.readRawVarint32());
                    readHeader();
                    in.popLimit(limit);
                    return true;
                }
                return false;
            } catch (IOException e) {
                throw new IllegalStateException("the call's header_list does not decode: " + e.getMessage(), e);
            }
        }

        private void readHeader() throws IOException {
            nameAt = 0;
            nameLength = 0;
            valueCount = 0;
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (tag == HeaderListWire.NAME_TAG) {
                    nameLength = in.readRawVarint32();
                    nameAt = start + in.getTotalBytesRead();
                    in.skipRawBytes(nameLength);
                } else if (tag == HeaderListWire.VALUE_TAG) {
                    int length = in.readRawVarint32();
                    if (valueCount == valueAt.length) {
                        valueAt = Arrays.copyOf(valueAt, valueCount * 2);
                        valueLength = Arrays.copyOf(valueLength, valueCount * 2);
                    }
                    valueAt[valueCount] = start + in.getTotalBytesRead();
                    valueLength[valueCount++] = length;
                    in.skipRawBytes(length);
                } else {
                    in.skipField(tag);
                }
            }
        }

        /**
         * This header's values joined with {@code ", "}; a short single value is the string
         * kept for {@code position} when its bytes are the same, and is kept otherwise.
         */
        LuaString value(int position) {
            if (valueCount != 1 || valueLength[0] > MAX_KEPT_VALUE_BYTES) {
                return joined(null);
            }
            LuaString kept = VALUES.find(position, list, valueAt[0], valueLength[0]);
            if (kept == null) {
                // a copy: a string over the list would keep the whole list alive
                kept = LuaString.valueUsing(Arrays.copyOfRange(list, valueAt[0], valueAt[0] + valueLength[0]));
                VALUES.keep(position, kept);
            }
            return kept;
        }

        /**
         * This header's values joined with {@code ", "}, after {@code earlier} when not null, in
         * one array: a client can send one header thousands of times, and joining them one by
         * one would copy the growing string each time. Always a copy: the list is a view of the
         * call's frame, which may hold a 64 KiB body, and a script may keep the string past the
         * call.
         */
        LuaString joined(LuaString earlier) {
            if (earlier == null && valueCount == 1) {
                return LuaString.valueUsing(Arrays.copyOfRange(list, valueAt[0], valueAt[0] + valueLength[0]));
            }
            LuaString separator = HeaderTable.SEPARATOR;
            int parts = valueCount + (earlier == null ? 0 : 1);
            long total = (long) (parts - 1) * separator.m_length + (earlier == null ? 0 : earlier.m_length);
            for (int i = 0; i < valueCount; i++) {
                total += valueLength[i];
            }
            byte[] joined = new byte[Math.toIntExact(total)];
            int at = 0;
            if (earlier != null) {
                System.arraycopy(earlier.m_bytes, earlier.m_offset, joined, 0, earlier.m_length);
                at = earlier.m_length;
            }
            for (int i = 0; i < valueCount; i++) {
                if (earlier != null || i > 0) {
                    System.arraycopy(separator.m_bytes, separator.m_offset, joined, at, separator.m_length);
                    at += separator.m_length;
                }
                System.arraycopy(list, valueAt[i], joined, at, valueLength[i]);
                at += valueLength[i];
            }
            return LuaString.valueUsing(joined);
        }

        /**
         * Whether the name is {@code other} ignoring case ({@link String#equalsIgnoreCase}), and
         * with {@code lowerCaseKey} also whether the name in lower case is {@code other}.
         */
        boolean named(String other, boolean lowerCaseKey) {
            if (ascii(other) && ascii(list, nameAt, nameLength)) {
                if (nameLength != other.length()) {
                    return false;
                }
                for (int i = 0; i < nameLength; i++) {
                    if (lowerAscii(list[nameAt + i]) != lowerAscii(other.charAt(i))) {
                        return false;
                    }
                }
                return true;
            }
            String name = new String(list, nameAt, nameLength, StandardCharsets.UTF_8);
            return name.equalsIgnoreCase(other) && (!lowerCaseKey || HeaderView.lower(name).equals(other));
        }
    }

    private static boolean ascii(String text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static boolean ascii(byte[] bytes, int offset, int length) {
        for (int i = offset, end = offset + length; i < end; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }

    private static int lowerAscii(int c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }
}
