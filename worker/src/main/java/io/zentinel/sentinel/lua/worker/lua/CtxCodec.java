package io.zentinel.sentinel.lua.worker.lua;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.worker.sandbox.BudgetExceededError;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * {@code sentinel.ctx} to and from the JSON that travels in {@code HookCall.ctx} and
 * {@code HookResult.ctx}, so that scripts can pass values from one phase of a transaction to the
 * next.
 *
 * <p>What survives the trip: strings (as UTF-8 text; invalid bytes become U+FFFD), numbers
 * (integers up to 2^53 stay integers), booleans, and tables, nested at most
 * {@value #MAX_DEPTH} deep. A table whose keys are exactly 1..n is a JSON array, any other
 * table an object whose keys must be strings; an empty table is {@code {}}. Functions,
 * userdata, {@code NaN}, infinities and tables mixing both kinds of key cannot be encoded.
 * JSON {@code null} decodes to an absent value. The output is canonical (object keys sorted by
 * their bytes), so a ctx that no script changed encodes to the bytes it came from.
 */
final class CtxCodec {
    static final int MAX_DEPTH = 32;
    static final String KEY = "resource-limits.max-ctx-bytes";

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH + 1).build())
            .build();

    private CtxCodec() {
    }

    /** The table {@code json} describes; an empty array means {@code {}}. */
    static LuaTable decode(byte[] json) {
        LuaTable root = new LuaTable();
        if (json.length == 0) {
            return root;
        }
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new LuaError("sentinel.ctx: the stored ctx is not a JSON object");
            }
            readObject(p, root);
            if (p.nextToken() != null) {
                throw new LuaError("sentinel.ctx: trailing data after the stored ctx");
            }
            return root;
        } catch (IOException e) {
            String reason = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new LuaError("sentinel.ctx: the stored ctx is not valid JSON (" + reason + ")");
        }
    }

    private static void readObject(JsonParser p, LuaTable table) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            LuaValue value = readValue(p);
            if (!value.isnil()) {
                table.rawset(LuaValue.valueOf(key), value);
            }
        }
    }

    private static LuaValue readValue(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> {
                LuaTable t = new LuaTable();
                readObject(p, t);
                yield t;
            }
            case START_ARRAY -> {
                LuaTable t = new LuaTable();
                int i = 1;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    t.rawset(i++, readValue(p));
                }
                yield t;
            }
            case VALUE_STRING -> LuaValue.valueOf(p.getText());
            case VALUE_NUMBER_INT -> {
                long l = p.getLongValue();
                yield l == (int) l ? LuaValue.valueOf((int) l) : LuaValue.valueOf((double) l);
            }
            case VALUE_NUMBER_FLOAT -> LuaValue.valueOf(p.getDoubleValue());
            case VALUE_TRUE -> LuaValue.TRUE;
            case VALUE_FALSE -> LuaValue.FALSE;
            default -> LuaValue.NIL;
        };
    }

    /**
     * The JSON of {@code ctx}.
     *
     * @throws LuaError when a value cannot be encoded
     * @throws BudgetExceededError ({@code CTX_LIMIT}) when the encoding is longer than {@code maxBytes}
     */
    static byte[] encode(LuaTable ctx, long maxBytes) {
        BoundedBuffer out = new BoundedBuffer(maxBytes);
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            writeTable(g, ctx, 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.count > maxBytes) {
            throw BudgetExceededError.of(FailureKind.CTX_LIMIT, "encoded sentinel.ctx bytes", out.count, maxBytes, KEY);
        }
        return out.toByteArray();
    }

    private static void writeValue(JsonGenerator g, LuaValue v, int depth, String where) throws IOException {
        switch (v.type()) {
            case LuaValue.TSTRING -> g.writeString(text(v.checkstring()));
            case LuaValue.TNUMBER -> {
                double d = v.todouble();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    throw new LuaError("sentinel.ctx: " + where + " is " + d + ", which JSON cannot hold");
                }
                if (d == Math.rint(d) && Math.abs(d) <= 9.007199254740992E15) {
                    g.writeNumber((long) d);
                } else {
                    g.writeNumber(d);
                }
            }
            case LuaValue.TBOOLEAN -> g.writeBoolean(v.toboolean());
            case LuaValue.TTABLE -> writeTable(g, (LuaTable) v, depth + 1);
            default -> throw new LuaError("sentinel.ctx: " + where + " is a " + v.typename()
                    + ", which cannot be kept in the ctx");
        }
    }

    private static void writeTable(JsonGenerator g, LuaTable t, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new LuaError("sentinel.ctx: tables nested deeper than " + MAX_DEPTH + " (a cycle?)");
        }
        List<LuaValue> keys = new ArrayList<>();
        boolean strings = false;
        boolean numbers = false;
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs next = t.next(k);
            k = next.arg1();
            if (k.isnil()) {
                break;
            }
            keys.add(k);
            if (k.type() == LuaValue.TSTRING) {
                strings = true;
            } else if (k.type() == LuaValue.TNUMBER) {
                numbers = true;
            } else {
                throw new LuaError("sentinel.ctx: a table key is a " + k.typename() + "; keys must be strings");
            }
        }
        if (numbers && !strings && isSequence(t, keys.size())) {
            g.writeStartArray();
            for (int i = 1; i <= keys.size(); i++) {
                writeValue(g, t.rawget(i), depth, "element " + i);
            }
            g.writeEndArray();
            return;
        }
        if (numbers) {
            throw new LuaError("sentinel.ctx: a table has number keys that are not a sequence 1..n"
                    + (strings ? " next to string keys" : ""));
        }
        keys.sort((a, b) -> compareBytes((LuaString) a, (LuaString) b));
        g.writeStartObject();
        for (LuaValue key : keys) {
            String name = text((LuaString) key);
            g.writeFieldName(name);
            writeValue(g, t.rawget(key), depth, "field '" + name + "'");
        }
        g.writeEndObject();
    }

    private static boolean isSequence(LuaTable t, int count) {
        for (int i = 1; i <= count; i++) {
            if (t.rawget(i).isnil()) {
                return false;
            }
        }
        return true;
    }

    private static int compareBytes(LuaString a, LuaString b) {
        int n = Math.min(a.m_length, b.m_length);
        for (int i = 0; i < n; i++) {
            int c = (a.m_bytes[a.m_offset + i] & 0xFF) - (b.m_bytes[b.m_offset + i] & 0xFF);
            if (c != 0) {
                return c;
            }
        }
        return a.m_length - b.m_length;
    }

    private static String text(LuaString s) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(java.nio.ByteBuffer.wrap(s.m_bytes, s.m_offset, s.m_length))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalStateException(e); // not thrown with REPLACE
        }
    }

    /** Keeps at most {@code max} bytes but counts them all, so the limit message has the real size. */
    private static final class BoundedBuffer extends OutputStream {
        private final long max;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long count;

        BoundedBuffer(long max) {
            this.max = max;
        }

        @Override
        public void write(int b) {
            if (++count <= max) {
                bytes.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            long room = Math.max(0, max - count);
            if (room > 0) {
                bytes.write(b, off, (int) Math.min(room, len));
            }
            count += len;
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
