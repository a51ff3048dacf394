package io.zentinel.sentinel.lua.worker.lua;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;

import java.io.IOException;
import java.util.function.BiConsumer;

import org.luaj.vm2.LuaString;

/**
 * Reads an encoded {@code HeaderList} straight into Lua strings, for a script that lists every
 * header: the values are Lua strings over one copy of the bytes, and the names come from
 * {@link HeaderNames}. Decoding the list into Java strings first, and encoding those again for
 * Lua, was most of the worker's cost of listing the headers.
 *
 * <p>The strings hold the bytes the supervisor wrote: the proxy's text in UTF-8.
 */
final class HeaderListScan {
    private static final int HEADER_TAG = lengthDelimitedTag(HeaderList.HEADERS_FIELD_NUMBER);
    private static final int NAME_TAG = lengthDelimitedTag(Header.NAME_FIELD_NUMBER);
    private static final int VALUE_TAG = lengthDelimitedTag(Header.VALUES_FIELD_NUMBER);

    private HeaderListScan() {
    }

    /**
     * Calls {@code each} with the lower-case name and the values joined with {@code ", "} of every
     * header that has a value, in order; a name the list repeats is passed again.
     *
     * @throws IllegalStateException when the bytes are not an encoded {@code HeaderList}
     */
    static void forEachJoined(ByteString encoded, BiConsumer<LuaString, LuaString> each) {
        if (encoded.isEmpty()) {
            return;
        }
        byte[] bytes = encoded.toByteArray();
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        try {
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (tag != HEADER_TAG) {
                    in.skipField(tag);
                    continue;
                }
                int limit = in.pushLimit(in.readRawVarint32());
                header(bytes, in, each);
                in.popLimit(limit);
            }
        } catch (IOException e) {
            throw new IllegalStateException("the call's header_list does not decode: " + e.getMessage(), e);
        }
    }

    private static void header(byte[] bytes, CodedInputStream in, BiConsumer<LuaString, LuaString> each)
            throws IOException {
        int nameAt = 0;
        int nameLength = 0;
        LuaString value = null;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            if (tag == NAME_TAG) {
                nameLength = in.readRawVarint32();
                nameAt = in.getTotalBytesRead();
                in.skipRawBytes(nameLength);
            } else if (tag == VALUE_TAG) {
                int length = in.readRawVarint32();
                LuaString next = LuaString.valueUsing(bytes, in.getTotalBytesRead(), length);
                in.skipRawBytes(length);
                value = value == null ? next : value.concat(HeaderTable.SEPARATOR).concat(next).strvalue();
            } else {
                in.skipField(tag);
            }
        }
        if (value != null) {
            each.accept(HeaderNames.SHARED.lua(bytes, nameAt, nameLength), value);
        }
    }

    private static int lengthDelimitedTag(int fieldNumber) {
        return fieldNumber << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }
}
