package io.zentinel.sentinel.lua.protocol;

import com.google.protobuf.WireFormat;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;

/**
 * The tags of an encoded {@link HeaderList}, for code that writes or reads one byte by byte
 * instead of through protobuf's messages: the supervisor's {@link HeaderListWriter} and the
 * worker's scan of a call's headers.
 */
public final class HeaderListWire {
    /** A header of the list: a length-delimited {@link Header}. */
    public static final int HEADER_TAG = lengthDelimitedTag(HeaderList.HEADERS_FIELD_NUMBER);
    /** A header's name. */
    public static final int NAME_TAG = lengthDelimitedTag(Header.NAME_FIELD_NUMBER);
    /** One of a header's values. */
    public static final int VALUE_TAG = lengthDelimitedTag(Header.VALUES_FIELD_NUMBER);

    private HeaderListWire() {
    }

    private static int lengthDelimitedTag(int fieldNumber) {
        return fieldNumber << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }
}
