package io.zentinel.sentinel.lua.worker.lua;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;

import org.luaj.vm2.LuaString;

/**
 * {@code length} bytes of {@code bytes} from {@code offset}: the bytes of a call's field where the
 * call's frame holds them, read in place. The worker parses each frame with aliasing
 * ({@code WorkerLoop}), so a {@code bytes} field is a view of the frame, and copying a header list
 * or a body out of it again for each call was a third of what the worker allocated per call.
 * Nothing may write to the bytes: they are the frame's.
 */
record ByteSpan(byte[] bytes, int offset, int length) {

    ByteSpan {
        Objects.requireNonNull(bytes, "bytes");
        Objects.checkFromIndexSize(offset, length, bytes.length);
    }

    /** The whole of {@code bytes}. */
    static ByteSpan of(byte[] bytes) {
        return new ByteSpan(bytes, 0, bytes.length);
    }

    /**
     * The bytes of {@code string}: the array it wraps when it wraps one (a field parsed with
     * aliasing, or any flat byte string), else a copy.
     */
    static ByteSpan of(ByteString string) {
        Capture capture = new Capture();
        try {
            UnsafeByteOperations.unsafeWriteTo(string, capture);
        } catch (IOException e) {
            throw new UncheckedIOException("reading a byte string in place failed", e);
        }
        return capture.span != null && !capture.more ? capture.span : of(string.toByteArray());
    }

    /** A Lua string of these bytes, sharing them. */
    LuaString lua() {
        return LuaString.valueUsing(bytes, offset, length);
    }

    /** Takes the one array a flat byte string hands over; anything else makes the caller copy. */
    private static final class Capture extends ByteOutput {
        ByteSpan span;
        boolean more;

        @Override
        public void writeLazy(byte[] value, int offset, int length) {
            if (span == null && !more) {
                span = new ByteSpan(value, offset, length);
            } else {
                more = true;
            }
        }

        @Override
        public void write(byte[] value, int offset, int length) {
            more = true;
        }

        @Override
        public void write(byte value) {
            more = true;
        }

        @Override
        public void write(ByteBuffer value) {
            more = true;
        }

        @Override
        public void writeLazy(ByteBuffer value) {
            more = true;
        }
    }
}
