package io.zentinel.sentinel.lua.worker.sandbox;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import io.zentinel.sentinel.lua.worker.dialect.IntegerRule;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Lua 5.4's {@code string.pack}, {@code string.unpack} and {@code string.packsize}, which LuaJ
 * (Lua 5.2) lacks: the same format language, results and error messages as Lua 5.4 on x86-64
 * (native order little-endian, {@code size_t} and {@code lua_Integer} of 8 bytes, native
 * alignment 8). Integers follow the agent's dialect ({@link LuaArgs#integer}).
 *
 * <p>Bounded like the other string functions: {@code pack} checks the length of its result
 * against the run's string limit as it grows, and {@code unpack} returns at most
 * {@value GuardedStrings#MAX_RESULTS} values.
 */
final class StringPack {
    private static final int MAX_INT_SIZE = 16;
    private static final int NATIVE_ALIGN = 8;
    private static final int SIZE_T = 8;
    private static final int LUA_INTEGER = 8;

    private enum Kind { INT, UINT, FLOAT, DOUBLE, FIXED, STRING, ZSTRING, PADDING, PAD_ALIGN, NOP }

    private StringPack() {
    }

    /** The state of one format string being read: position, byte order, maximum alignment. */
    private static final class Format {
        final String function;
        final LuaString text;
        int pos;
        boolean little = true;
        int maxAlign = 1;
        // the option just read
        Kind kind;
        int size;
        int padding;

        Format(String function, LuaString text) {
            this.function = function;
            this.text = text;
        }

        boolean more() {
            return pos < text.m_length;
        }

        private int peek() {
            return pos < text.m_length ? text.m_bytes[text.m_offset + pos] & 0xFF : -1;
        }

        private int number(int absent) {
            if (!Character.isDigit(peek())) {
                return absent;
            }
            long n = 0;
            while (Character.isDigit(peek()) && n <= (Integer.MAX_VALUE - 9) / 10) {
                n = n * 10 + (text.m_bytes[text.m_offset + pos++] - '0');
            }
            return (int) n;
        }

        private int limitedNumber(int absent) {
            int n = number(absent);
            if (n > MAX_INT_SIZE || n <= 0) {
                throw new LuaError("integral size (" + n + ") out of limits [1," + MAX_INT_SIZE + "]");
            }
            return n;
        }

        /** Reads one option into {@code kind} and {@code size}. */
        private void option() {
            int c = text.m_bytes[text.m_offset + pos++] & 0xFF;
            size = 0;
            kind = switch (c) {
                case 'b' -> sized(1, Kind.INT);
                case 'B' -> sized(1, Kind.UINT);
                case 'h' -> sized(2, Kind.INT);
                case 'H' -> sized(2, Kind.UINT);
                case 'l', 'j' -> sized(LUA_INTEGER, Kind.INT);
                case 'L', 'J' -> sized(LUA_INTEGER, Kind.UINT);
                case 'T' -> sized(SIZE_T, Kind.UINT);
                case 'f' -> sized(4, Kind.FLOAT);
                case 'n', 'd' -> sized(8, Kind.DOUBLE);
                case 'i' -> sized(limitedNumber(4), Kind.INT);
                case 'I' -> sized(limitedNumber(4), Kind.UINT);
                case 's' -> sized(limitedNumber(SIZE_T), Kind.STRING);
                case 'c' -> {
                    int n = number(-1);
                    if (n == -1) {
                        throw new LuaError("missing size for format option 'c'");
                    }
                    yield sized(n, Kind.FIXED);
                }
                case 'z' -> Kind.ZSTRING;
                case 'x' -> sized(1, Kind.PADDING);
                case 'X' -> Kind.PAD_ALIGN;
                case ' ' -> Kind.NOP;
                case '<', '=' -> {
                    little = true;
                    yield Kind.NOP;
                }
                case '>' -> {
                    little = false;
                    yield Kind.NOP;
                }
                case '!' -> {
                    maxAlign = limitedNumber(NATIVE_ALIGN);
                    yield Kind.NOP;
                }
                default -> throw new LuaError("invalid format option '" + (char) c + "'");
            };
        }

        private Kind sized(int n, Kind k) {
            size = n;
            return k;
        }

        /** Reads the next option and the padding it needs at {@code offset}, as Lua's getdetails. */
        void next(long offset) {
            option();
            Kind read = kind;
            int optionSize = size;
            int align = size;
            if (read == Kind.PAD_ALIGN) {
                if (!more()) {
                    throw argError(function, 1, "invalid next option for option 'X'");
                }
                option();
                align = size;
                if (kind == Kind.FIXED || align == 0) {
                    throw argError(function, 1, "invalid next option for option 'X'");
                }
                kind = read;
                size = optionSize;
            }
            if (align <= 1 || kind == Kind.FIXED) {
                padding = 0;
            } else {
                align = Math.min(align, maxAlign);
                if ((align & (align - 1)) != 0) {
                    throw argError(function, 1, "format asks for alignment not power of 2");
                }
                padding = (int) ((align - (offset & (align - 1))) & (align - 1));
            }
        }
    }

    /** {@code string.pack(fmt, v1, v2, ...)}. */
    static LuaValue pack() {
        return new Named("pack") {
            @Override
            public Varargs invoke(Varargs args) {
                Format f = new Format("string.pack", LuaArgs.string(args, 1, "string.pack"));
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ExecutionGuard guard = InstructionBudget.current();
                int arg = 1;
                while (f.more()) {
                    f.next(out.size());
                    for (int i = 0; i < f.padding; i++) {
                        out.write(0);
                    }
                    arg++;
                    switch (f.kind) {
                        case INT, UINT -> {
                            long n = LuaArgs.integer(args, arg, "string.pack");
                            if (f.size < LUA_INTEGER) {
                                if (f.kind == Kind.INT) {
                                    long limit = 1L << (f.size * 8 - 1);
                                    if (n < -limit || n >= limit) {
                                        throw argError("string.pack", arg, "integer overflow");
                                    }
                                } else if (Long.compareUnsigned(n, 1L << (f.size * 8)) >= 0) {
                                    throw argError("string.pack", arg, "unsigned overflow");
                                }
                            }
                            writeInt(out, n, f.little, f.size, f.kind == Kind.INT && n < 0);
                        }
                        case FLOAT -> writeInt(out, Float.floatToRawIntBits((float) LuaArgs.number(args, arg, "string.pack")), f.little, 4, false);
                        case DOUBLE -> writeInt(out, Double.doubleToRawLongBits(LuaArgs.number(args, arg, "string.pack")), f.little, 8, false);
                        case FIXED -> {
                            LuaString s = LuaArgs.string(args, arg, "string.pack");
                            if (s.m_length > f.size) {
                                throw argError("string.pack", arg, "string longer than given size");
                            }
                            guard.checkStringLength((long) out.size() + f.size);
                            out.write(s.m_bytes, s.m_offset, s.m_length);
                            for (int i = s.m_length; i < f.size; i++) {
                                out.write(0);
                            }
                        }
                        case STRING -> {
                            LuaString s = LuaArgs.string(args, arg, "string.pack");
                            if (f.size < 8 && s.m_length >= 1L << (f.size * 8)) {
                                throw argError("string.pack", arg, "string length does not fit in given size");
                            }
                            guard.checkStringLength((long) out.size() + f.size + s.m_length);
                            writeInt(out, s.m_length, f.little, f.size, false);
                            out.write(s.m_bytes, s.m_offset, s.m_length);
                        }
                        case ZSTRING -> {
                            LuaString s = LuaArgs.string(args, arg, "string.pack");
                            for (int i = 0; i < s.m_length; i++) {
                                if (s.m_bytes[s.m_offset + i] == 0) {
                                    throw argError("string.pack", arg, "string contains zeros");
                                }
                            }
                            guard.checkStringLength((long) out.size() + s.m_length + 1);
                            out.write(s.m_bytes, s.m_offset, s.m_length);
                            out.write(0);
                        }
                        case PADDING -> {
                            out.write(0);
                            arg--;
                        }
                        case PAD_ALIGN, NOP -> arg--;
                    }
                    guard.checkStringLength(out.size());
                }
                return LuaString.valueUsing(out.toByteArray());
            }
        };
    }

    /** {@code string.packsize(fmt)}: the size of what {@code pack} makes; no variable-length options. */
    static LuaValue packsize() {
        return new Named("packsize") {
            @Override
            public Varargs invoke(Varargs args) {
                Format f = new Format("string.packsize", LuaArgs.string(args, 1, "string.packsize"));
                long total = 0;
                while (f.more()) {
                    f.next(total);
                    if (f.kind == Kind.STRING || f.kind == Kind.ZSTRING) {
                        throw argError("string.packsize", 1, "variable-length format");
                    }
                    total += f.padding + f.size;
                    if (total > Integer.MAX_VALUE) {
                        throw argError("string.packsize", 1, "format result too large");
                    }
                }
                return IntegerRule.valueOf(total);
            }
        };
    }

    /** {@code string.unpack(fmt, s [, pos])}: the values, then the position after them. */
    static LuaValue unpack() {
        return new Named("unpack") {
            @Override
            public Varargs invoke(Varargs args) {
                Format f = new Format("string.unpack", LuaArgs.string(args, 1, "string.unpack"));
                LuaString data = LuaArgs.string(args, 2, "string.unpack");
                int length = data.m_length;
                long start = LuaArgs.optInteger(args, 3, "string.unpack", 1);
                long pos = (start >= 0 ? start : (-start > length ? 0 : length + start + 1)) - 1;
                if (pos > length || pos < 0) {
                    throw argError("string.unpack", 3, "initial position out of string");
                }
                List<LuaValue> values = new ArrayList<>();
                while (f.more()) {
                    f.next(pos);
                    if ((long) f.padding + f.size > length - pos) {
                        throw argError("string.unpack", 2, "data string too short");
                    }
                    pos += f.padding;
                    int at = data.m_offset + (int) pos;
                    switch (f.kind) {
                        case INT, UINT -> values.add(IntegerRule.valueOf(
                                readInt(data.m_bytes, at, f.little, f.size, f.kind == Kind.INT)));
                        case FLOAT -> values.add(LuaValue.valueOf(
                                (double) Float.intBitsToFloat((int) readInt(data.m_bytes, at, f.little, 4, false))));
                        case DOUBLE -> values.add(LuaValue.valueOf(
                                Double.longBitsToDouble(readInt(data.m_bytes, at, f.little, 8, false))));
                        case FIXED -> values.add(LuaString.valueOf(data.m_bytes, at, f.size));
                        case STRING -> {
                            long n = readInt(data.m_bytes, at, f.little, f.size, false);
                            if (n < 0 || n > length - pos - f.size) {
                                throw argError("string.unpack", 2, "data string too short");
                            }
                            values.add(LuaString.valueOf(data.m_bytes, at + f.size, (int) n));
                            pos += n;
                        }
                        case ZSTRING -> {
                            int end = at;
                            while (end < data.m_offset + length && data.m_bytes[end] != 0) {
                                end++;
                            }
                            if (end >= data.m_offset + length) {
                                throw argError("string.unpack", 2, "unfinished string for format 'z'");
                            }
                            values.add(LuaString.valueOf(data.m_bytes, at, end - at));
                            pos += end - at + 1;
                        }
                        case PADDING, PAD_ALIGN, NOP -> { }
                    }
                    if (values.size() > GuardedStrings.MAX_RESULTS) {
                        throw new LuaError("too many results");
                    }
                    pos += f.size;
                }
                values.add(IntegerRule.valueOf(pos + 1));
                return LuaValue.varargsOf(values.toArray(new LuaValue[0]));
            }
        };
    }

    private static void writeInt(ByteArrayOutputStream out, long n, boolean little, int size, boolean negative) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            byte b = i < 8 ? (byte) (n >>> (8 * i)) : (byte) (negative ? 0xFF : 0);
            bytes[little ? i : size - 1 - i] = b;
        }
        out.write(bytes, 0, size);
    }

    private static long readInt(byte[] bytes, int at, boolean little, int size, boolean signed) {
        long result = 0;
        int limit = Math.min(size, 8);
        for (int i = limit - 1; i >= 0; i--) {
            result = (result << 8) | (bytes[at + (little ? i : size - 1 - i)] & 0xFF);
        }
        if (size < 8) {
            if (signed) {
                long mask = 1L << (size * 8 - 1);
                result = (result ^ mask) - mask;
            }
        } else if (size > 8) {
            int mask = !signed || result >= 0 ? 0 : 0xFF;
            for (int i = limit; i < size; i++) {
                if ((bytes[at + (little ? i : size - 1 - i)] & 0xFF) != mask) {
                    throw new LuaError(size + "-byte integer does not fit into Lua Integer");
                }
            }
        }
        return result;
    }

    private static LuaError argError(String function, int arg, String message) {
        return LuaArgs.argError(arg, function, message);
    }
}
