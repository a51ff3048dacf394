package io.zentinel.sentinel.lua.worker.lua;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.HeaderMutation;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;

/**
 * The headers of a request or a response during one call, as the scripts of the chain see them:
 * the headers the proxy sent with every mutation an earlier script made applied, so that reads
 * reflect writes. Each mutation is also recorded, in order, for the verdict.
 *
 * <p>The map is built from the call's header list only when a script lists headers with
 * {@code get_headers()}, reads every value of one, sets or removes one: reading the first value,
 * adding values and reading {@code request.headers} before any change, what most scripts do,
 * read the list's bytes in place instead ({@link HeaderListScan}), so a call whose scripts do
 * only that decodes nothing it does not hand to Lua. Names are
 * compared case-insensitively (kept in lower case); mutations keep the name as the script wrote
 * it. One call, one thread.
 */
final class HeaderView {
    /** About how many bytes one header takes in the list, to size a table before decoding it. */
    private static final int BYTES_PER_HEADER_GUESS = 32;

    /** The call's encoded header list, and where its bytes are in the call's frame. */
    private final ByteString encoded;
    private final ByteSpan list;
    private final List<HeaderMutation> mutations;
    private Map<String, List<String>> headers;
    /** Values added while {@link #headers} was not built: name, value, name, value, ... */
    private List<String> added;
    /** The table {@code request.headers} gives while no header changes; filled before a change. */
    private HeaderTable table;

    HeaderView(ByteString encoded, List<HeaderMutation> mutations) {
        this.encoded = encoded;
        this.list = ByteSpan.of(encoded);
        this.mutations = mutations;
    }

    /**
     * The headers of a call's {@code header_list}. The supervisor wrote the bytes; if they do not
     * decode, the call fails like a script error.
     */
    static List<Header> decode(ByteString headerList) {
        if (headerList.isEmpty()) {
            return List.of();
        }
        try {
            return HeaderList.parseFrom(headerList).getHeadersList();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("the call's header_list does not decode: " + e.getMessage(), e);
        }
    }

    private Map<String, List<String>> map() {
        if (headers == null) {
            List<Header> source = decode(encoded);
            headers = new LinkedHashMap<>(Math.max(16, source.size() * 2));
            for (Header h : source) {
                headers.computeIfAbsent(lower(h.getName()), k -> new ArrayList<>(2)).addAll(h.getValuesList());
            }
            headers.values().removeIf(List::isEmpty);
            if (added != null) {
                for (int i = 0; i < added.size(); i += 2) {
                    headers.computeIfAbsent(lower(added.get(i)), k -> new ArrayList<>(2)).add(added.get(i + 1));
                }
                added = null;
            }
        }
        return headers;
    }

    static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /** About how many headers there are, to size a table for them. */
    int sizeHint() {
        if (headers != null) {
            return headers.size();
        }
        return list.length() / BYTES_PER_HEADER_GUESS + (added == null ? 0 : added.size() / 2);
    }

    /** The first value of {@code name}, or {@code null}. */
    String first(String name) {
        if (headers == null) {
            String first = HeaderListScan.first(list, name);
            if (first != null) {
                return first;
            }
            if (added != null) {
                for (int i = 0; i < added.size(); i += 2) {
                    if (added.get(i).equalsIgnoreCase(name)) {
                        return added.get(i + 1);
                    }
                }
            }
            return null;
        }
        List<String> values = map().get(lower(name));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Every value of {@code name}, possibly none. */
    List<String> values(String name) {
        List<String> values = map().get(lower(name));
        return values == null ? List.of() : values;
    }

    /**
     * Calls {@code each} with every header's lower-case name and all its values joined with
     * {@code ", "}, as Lua strings, in the order they arrived (added ones last). While no script
     * has changed or listed the headers this reads the call's bytes as they are
     * ({@link HeaderListScan}), without building the map: the consumer sees a name again when the
     * list repeats it and joins the values itself.
     */
    void forEachJoined(BiConsumer<LuaString, LuaString> each) {
        if (headers == null && added == null) {
            HeaderListScan.forEachJoined(list, each);
            return;
        }
        map().forEach((name, values) -> each.accept(HeaderNames.SHARED.lua(name), HttpHandle.text(joined(values))));
    }

    /**
     * The values of the header whose lower-case name is {@code key}, joined with {@code ", "} as
     * {@link #forEachJoined} gives them, as a Lua string, or {@code null}: a name with upper-case
     * letters is never a key. Reads the list's bytes while no script has changed or listed the
     * headers.
     */
    LuaString joined(String key) {
        if (!key.equals(lower(key))) {
            return null;
        }
        if (headers != null || added != null) {
            List<String> values = map().get(key);
            return values == null || values.isEmpty() ? null : HttpHandle.text(joined(values));
        }
        return HeaderListScan.joined(list, key);
    }

    /** Values as {@code request.headers} shows them: joined with {@code ", "}. */
    private static String joined(List<String> values) {
        return values.size() == 1 ? values.getFirst() : String.join(", ", values);
    }

    /**
     * The table of these headers for {@code request.headers}: the same one until a header
     * changes or a script stores into it, so that reading a header in a loop builds nothing.
     */
    HeaderTable table(LuaTable caseInsensitive) {
        if (table == null || table.storedInto()) {
            table = new HeaderTable(this, caseInsensitive);
        }
        return table;
    }

    /** Fills the table handed out, so that it keeps showing the headers as they were. */
    private void beforeChange() {
        if (table != null) {
            table.fill();
            table = null;
        }
    }

    /** Every header: lower-case name to its values, in the order they arrived (added ones last). */
    Map<String, List<String>> all() {
        return map();
    }

    void add(String name, String value) {
        beforeChange();
        if (headers == null) {
            if (added == null) {
                added = new ArrayList<>(4);
            }
            added.add(name);
            added.add(value);
        } else {
            headers.computeIfAbsent(lower(name), k -> new ArrayList<>(2)).add(value);
        }
        mutations.add(HeaderMutation.newBuilder().setOp(HeaderMutation.Op.ADD).setName(name).setValue(value).build());
    }

    void set(String name, String value) {
        beforeChange();
        List<String> values = new ArrayList<>(2);
        values.add(value);
        map().put(lower(name), values);
        mutations.add(HeaderMutation.newBuilder().setOp(HeaderMutation.Op.SET).setName(name).setValue(value).build());
    }

    void remove(String name) {
        beforeChange();
        map().remove(lower(name));
        mutations.add(HeaderMutation.newBuilder().setOp(HeaderMutation.Op.REMOVE).setName(name).build());
    }
}
