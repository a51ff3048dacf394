package io.zentinel.sentinel.lua.worker.lua.lib;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * One {@code json.encode} / {@code json.encode_pretty} call: a Lua value to UTF-8 JSON text.
 *
 * <p>Object keys are written in byte order in both modes, so equal tables give equal text.
 */
final class JsonEncoder {

    private static final int DEADLINE_CHECK_INTERVAL = 1024;
    /** 2^53: every integer up to here is exact in a double, so it is written without an exponent. */
    private static final double MAX_EXACT_INTEGER = 0x1p53;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final ExecutionGuard guard;
    private final int maxDepth;
    private final boolean pretty;
    private final String fn;
    private final LuaValue nullValue;
    private final LuaValue emptyArray;
    private final LuaTable arrayMarker;
    private final Map<LuaTable, Boolean> path = new IdentityHashMap<>();
    private final long maxBytes;
    private byte[] buf;
    private int len;
    private int values;

    JsonEncoder(ExecutionGuard guard, int maxDepth, boolean pretty, String fn,
            LuaValue nullValue, LuaValue emptyArray, LuaTable arrayMarker) {
        this.guard = guard;
        this.maxDepth = maxDepth;
        this.pretty = pretty;
        this.fn = fn;
        this.nullValue = nullValue;
        this.emptyArray = emptyArray;
        this.arrayMarker = arrayMarker;
        this.maxBytes = Math.max(1, Math.min(guard.maxStringBytes(), Integer.MAX_VALUE - 16));
        this.buf = new byte[(int) Math.min(256, maxBytes)];
    }

    LuaString encode(LuaValue value) {
        value(value, 0);
        return LuaString.valueUsing(Arrays.copyOf(buf, len));
    }

    private void value(LuaValue v, int depth) {
        if (++values % DEADLINE_CHECK_INTERVAL == 0) {
            guard.checkDeadline();
        }
        switch (v.type()) {
            case LuaValue.TNIL:
                ascii("null");
                break;
            case LuaValue.TBOOLEAN:
                ascii(v.toboolean() ? "true" : "false");
                break;
            case LuaValue.TNUMBER:
                number(v);
                break;
            case LuaValue.TSTRING:
                string(v.checkstring());
                break;
            case LuaValue.TTABLE:
                table((LuaTable) v, depth + 1);
                break;
            default:
                if (v == nullValue) {
                    ascii("null");
                } else if (v == emptyArray) {
                    ascii("[]");
                } else {
                    throw error("cannot encode a value of type " + v.typename());
                }
        }
    }

    private void number(LuaValue v) {
        if (v.isinttype()) {
            ascii(Integer.toString(v.toint()));
            return;
        }
        double d = v.todouble();
        if (Double.isNaN(d)) {
            throw error("cannot encode NaN");
        }
        if (Double.isInfinite(d)) {
            throw error("cannot encode " + (d > 0 ? "inf" : "-inf"));
        }
        if (d == Math.rint(d) && Math.abs(d) <= MAX_EXACT_INTEGER) {
            ascii(Long.toString((long) d));
        } else {
            ascii(Double.toString(d).replace('E', 'e'));
        }
    }

    private void table(LuaTable t, int depth) {
        if (depth > maxDepth) {
            throw error("nesting depth (" + depth + ") exceeds the maximum allowed (" + maxDepth + ")");
        }
        if (path.put(t, Boolean.TRUE) != null) {
            throw error("cannot encode a table that contains itself (cycle)");
        }
        // one pass over the keys: count them and see whether they are exactly 1..n
        int count = 0;
        boolean indices = true;
        int maxIndex = 0;
        List<LuaString> names = new ArrayList<>();
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs next = t.next(k);
            k = next.arg1();
            if (k.isnil()) {
                break;
            }
            count++;
            if (k.isinttype() && k.toint() >= 1) {
                maxIndex = Math.max(maxIndex, k.toint());
            } else {
                indices = false;
                if (k.type() == LuaValue.TSTRING) {
                    names.add(k.checkstring());
                } else if (k.type() != LuaValue.TNUMBER) {
                    throw error("cannot encode a table key of type " + k.typename());
                }
            }
        }
        boolean marked = t.getmetatable() == arrayMarker;
        boolean array = count == 0 ? marked : indices && maxIndex == count;
        if (array) {
            array(t, count, depth);
        } else if (marked) {
            throw error("a table marked as an array must have only the keys 1..n");
        } else if (names.size() != count) {
            throw error("cannot encode a table with non-string key " + firstNumberKey(t)
                    + " as an object (an array needs exactly the keys 1..n)");
        } else {
            object(t, names, depth);
        }
        path.remove(t);
    }

    private static String firstNumberKey(LuaTable t) {
        LuaValue k = LuaValue.NIL;
        while (true) {
            k = t.next(k).arg1();
            if (k.isnil() || k.type() == LuaValue.TNUMBER) {
                return k.tojstring();
            }
        }
    }

    private void array(LuaTable t, int n, int depth) {
        if (n == 0) {
            ascii("[]");
            return;
        }
        write('[');
        for (int i = 1; i <= n; i++) {
            if (i > 1) {
                write(',');
            }
            newline(depth);
            value(t.rawget(i), depth);
        }
        newline(depth - 1);
        write(']');
    }

    private void object(LuaTable t, List<LuaString> names, int depth) {
        if (names.isEmpty()) {
            ascii("{}");
            return;
        }
        names.sort(JsonEncoder::compareBytes);
        write('{');
        boolean first = true;
        for (LuaString name : names) {
            if (!first) {
                write(',');
            }
            first = false;
            newline(depth);
            string(name);
            write(':');
            if (pretty) {
                write(' ');
            }
            value(t.rawget(name), depth);
        }
        newline(depth - 1);
        write('}');
    }

    private void newline(int depth) {
        if (pretty) {
            write('\n');
            for (int i = 0; i < depth; i++) {
                write(' ');
                write(' ');
            }
        }
    }

    private void string(LuaString s) {
        byte[] b = s.m_bytes;
        int end = s.m_offset + s.m_length;
        write('"');
        int i = s.m_offset;
        while (i < end) {
            int c = b[i] & 0xFF;
            if (c >= 0x80) {
                long d = Utf8Codec.decode(b, i, end, true);
                if (d < 0) {
                    throw error("string is not valid UTF-8 (invalid byte at position " + (i - s.m_offset + 1) + ")");
                }
                int n = Utf8Codec.length(d);
                for (int j = 0; j < n; j++) {
                    write(b[i + j]);
                }
                i += n;
                continue;
            }
            switch (c) {
                case '"' -> escape('"');
                case '\\' -> escape('\\');
                case '\b' -> escape('b');
                case '\f' -> escape('f');
                case '\n' -> escape('n');
                case '\r' -> escape('r');
                case '\t' -> escape('t');
                default -> {
                    if (c < 0x20) {
                        ascii("\\u00");
                        write(HEX[c >> 4]);
                        write(HEX[c & 0xF]);
                    } else {
                        write((byte) c);
                    }
                }
            }
            i++;
        }
        write('"');
    }

    private void escape(char c) {
        write('\\');
        write(c);
    }

    private void ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            write(s.charAt(i));
        }
    }

    private void write(char c) {
        write((byte) c);
    }

    private void write(byte b) {
        if (len == buf.length) {
            grow();
        }
        buf[len++] = b;
    }

    private void grow() {
        if (len >= maxBytes) {
            guard.checkStringLength(len + 1L);
            throw error("output (" + (len + 1L) + " bytes) exceeds the maximum allowed (" + maxBytes + ")");
        }
        buf = Arrays.copyOf(buf, (int) Math.min(maxBytes, (long) buf.length * 2));
    }

    private LuaError error(String message) {
        return new LuaError(fn + ": " + message);
    }

    static int compareBytes(LuaString a, LuaString b) {
        return Arrays.compareUnsigned(a.m_bytes, a.m_offset, a.m_offset + a.m_length,
                b.m_bytes, b.m_offset, b.m_offset + b.m_length);
    }
}
