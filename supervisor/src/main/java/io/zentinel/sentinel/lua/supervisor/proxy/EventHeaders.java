package io.zentinel.sentinel.lua.supervisor.proxy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.zentinel.sentinel.lua.protocol.HeaderListWriter;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The headers of an event, in the proxy's order, held as the encoded {@code HeaderList} that the
 * worker call carries. The supervisor only passes headers on, so they are decoded from the JSON
 * straight into those bytes ({@link HeaderListWriter}) and never become strings and lists here.
 *
 * @param encoded a {@code HeaderList}; a name may appear more than once, its values adding up
 */
public record EventHeaders(ByteString encoded) {
    public static final EventHeaders NONE = new EventHeaders(ByteString.EMPTY);

    public EventHeaders {
        Objects.requireNonNull(encoded, "encoded");
    }

    /** Headers from a map (tests, tools): null names and null values are left out. */
    public static EventHeaders of(Map<String, ? extends List<String>> headers) {
        return new EventHeaders(HeaderListWriter.encode(headers));
    }

    /**
     * The headers as name → values, in the order names first appear, the values of a repeated
     * name joined into one list. Decodes the bytes on every call: for tests and diagnostics.
     */
    public Map<String, List<String>> toMap() {
        HeaderList list;
        try {
            list = HeaderList.parseFrom(encoded);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("not an encoded HeaderList: " + e.getMessage(), e);
        }
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (Header header : list.getHeadersList()) {
            map.computeIfAbsent(header.getName(), k -> new ArrayList<>()).addAll(header.getValuesList());
        }
        map.replaceAll((name, values) -> List.copyOf(values));
        return Collections.unmodifiableMap(map);
    }
}
