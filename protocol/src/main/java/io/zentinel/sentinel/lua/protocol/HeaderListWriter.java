package io.zentinel.sentinel.lua.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes an encoded {@link HeaderList} (the {@code header_list} of a call) header by header, as
 * the headers are read from the proxy's JSON: no String, list or message is made per header, and
 * the bytes go into the call as they are. Making those objects, through protobuf's own builder,
 * took a fifth of the supervisor's sampled Java time per event.
 *
 * <p>The bytes are exactly what {@code HeaderList.toByteString()} gives for the same headers,
 * including how text that is not valid UTF-16 is encoded ({@code ?} for a lone surrogate).
 *
 * <p>Use: {@link #startHeader}, {@link #addValue} for each value, {@link #endHeader}; repeat;
 * then {@link #toByteString} once. Not thread-safe; one writer per header list.
 */
public final class HeaderListWriter {
    /**
     * Room left for a header's length before its fields are written: two bytes hold any length
     * below 16 KiB; a shorter or longer length moves the fields once it is known.
     */
    private static final int RESERVED_LENGTH_BYTES = 2;
    /** Room left for the length of a value, written as its text is copied. */
    private static final int MAX_VARINT32_BYTES = 5;

    private byte[] buf;
    private int size;
    /** Where the open header's fields start; -1 when no header is open. */
    private int headerStart = -1;
    private boolean finished;

    /** @param expectedBytes a guess at the encoded size; the buffer grows past it as needed */
    public HeaderListWriter(int expectedBytes) {
        buf = new byte[Math.max(64, expectedBytes)];
    }

    /** Encodes {@code headers} in map order; null names are skipped, and so are null values. */
    public static ByteString encode(Map<String, ? extends List<String>> headers) {
        HeaderListWriter writer = new HeaderListWriter(256);
        headers.forEach((name, values) -> {
            if (name == null) {
                return;
            }
            writer.startHeader(name);
            if (values != null) {
                for (String value : values) {
                    if (value != null) {
                        writer.addValue(value);
                    }
                }
            }
            writer.endHeader();
        });
        return writer.toByteString();
    }

    /** Opens the next header. */
    public void startHeader(String name) {
        if (headerStart >= 0 || finished) {
            throw new IllegalStateException(finished ? "header list already finished" : "header still open");
        }
        writeVarint(HeaderListWire.HEADER_TAG);
        ensure(RESERVED_LENGTH_BYTES);
        size += RESERVED_LENGTH_BYTES;
        headerStart = size;
        if (!name.isEmpty()) { // proto3 leaves out an empty string
            writeVarint(HeaderListWire.NAME_TAG);
            writeText(name);
        }
    }

    /** Adds a value to the open header. */
    public void addValue(String value) {
        requireOpen();
        writeVarint(HeaderListWire.VALUE_TAG);
        writeText(value);
    }

    /** Adds {@code length} chars of {@code chars} from {@code offset} as a value of the open header. */
    public void addValue(char[] chars, int offset, int length) {
        requireOpen();
        writeVarint(HeaderListWire.VALUE_TAG);
        int at = reserveAscii(length);
        for (int i = 0; i < length; i++) {
            char c = chars[offset + i];
            if (c >= 0x80) {
                writeUtf8(new String(chars, offset, length)); // nothing written since the reservation
                return;
            }
            buf[at + i] = (byte) c;
        }
        commitAscii(at, length);
    }

    /** Closes the open header. */
    public void endHeader() {
        requireOpen();
        int length = size - headerStart;
        int lengthBytes = CodedOutputStream.computeUInt32SizeNoTag(length);
        if (lengthBytes != RESERVED_LENGTH_BYTES) {
            int shift = lengthBytes - RESERVED_LENGTH_BYTES;
            ensure(Math.max(0, shift));
            System.arraycopy(buf, headerStart, buf, headerStart + shift, length);
            size += shift;
        }
        putVarint(headerStart - RESERVED_LENGTH_BYTES, length);
        headerStart = -1;
    }

    /** The encoded list; the writer takes no more headers afterwards. */
    public ByteString toByteString() {
        if (headerStart >= 0) {
            throw new IllegalStateException("header still open");
        }
        finished = true;
        return size == 0 ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(buf, 0, size);
    }

    private void requireOpen() {
        if (headerStart < 0) {
            throw new IllegalStateException("no header open");
        }
    }

    /**
     * A length-delimited text: ASCII copied char by char, anything else through the JDK's UTF-8
     * encoder. Header names are ASCII, and encoding each through a new byte array was about a tenth
     * of the supervisor's sampled allocation per event.
     */
    private void writeText(String text) {
        int length = text.length();
        int at = reserveAscii(length);
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                writeUtf8(text); // nothing written since the reservation
                return;
            }
            buf[at + i] = (byte) c;
        }
        commitAscii(at, length);
    }

    /**
     * Makes room for a text of {@code length} ASCII bytes and its length, without writing either;
     * returns where its first byte goes.
     */
    private int reserveAscii(int length) {
        ensure(MAX_VARINT32_BYTES + length);
        return size + CodedOutputStream.computeUInt32SizeNoTag(length);
    }

    /** Completes a text whose {@code length} ASCII bytes were put at {@code at}, from {@link #reserveAscii}. */
    private void commitAscii(int at, int length) {
        putVarint(size, length);
        size = at + length;
    }

    private void writeUtf8(String text) {
        writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    private void writeBytes(byte[] bytes) {
        writeVarint(bytes.length);
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buf, size, bytes.length);
        size += bytes.length;
    }

    private void writeVarint(int value) {
        ensure(MAX_VARINT32_BYTES);
        size = putVarint(size, value);
    }

    /** Writes {@code value} as a varint at {@code at}; returns the index after it. */
    private int putVarint(int at, int value) {
        while ((value & ~0x7F) != 0) {
            buf[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buf[at++] = (byte) value;
        return at;
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
