package io.zentinel.sentinel.lua.worker.dialect;

import java.nio.charset.StandardCharsets;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Lua 5.4's {@code string.format}, after {@code lstrlib.c}'s {@code str_format}, in place of
 * LuaJ's (which formats {@code %d} through a 32-bit {@code int}, ignores widths of floats and
 * writes {@code %e} and {@code %g} as Java does).
 *
 * <ul>
 * <li>{@code %d %i %u %c %o %x %X} take an integer ({@link IntegerRule}): {@code 3.0} and
 *     {@code "3"} are fine, {@code 3.5} is the error {@code number has no integer
 *     representation}; {@code %x} of a negative number is its 64-bit two's complement.</li>
 * <li>{@code %a %A %e %E %f %g %G} take a number and write it as C does.</li>
 * <li>{@code %s} writes any value as {@code tostring} does ({@code __tostring} included),
 *     {@code %q} a string, number, nil or boolean as a Lua literal, {@code %p} an identity
 *     ({@code (null)} for values without one), {@code %%} a percent sign.</li>
 * <li>Flags, width and precision are checked per conversion as Lua 5.4 does; width and
 *     precision have at most two digits.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class Lua54Format {
    private static final LuaString TOSTRING = LuaString.valueOf("__tostring");

    private Lua54Format() {
    }

    /** {@code string.format(fmt, ...)}. */
    public static LuaString format(Varargs args) {
        LuaValue first = args.arg1();
        if (!(first instanceof LuaString) && first.type() != LuaValue.TNUMBER) {
            throw argError(1, "string expected, got " + typeName(args, 1));
        }
        LuaString fmt = first.checkstring();
        byte[] b = fmt.m_bytes;
        int end = fmt.m_offset + fmt.m_length;
        Output out = new Output(fmt.m_length + 16);
        int arg = 1;
        int i = fmt.m_offset;
        while (i < end) {
            byte c = b[i++];
            if (c != '%') {
                out.write(c);
                continue;
            }
            if (i < end && b[i] == '%') {
                out.write('%');
                i++;
                continue;
            }
            if (++arg > args.narg()) {
                throw argError(arg, "no value");
            }
            FormatSpec spec = FormatSpec.read(b, i, end);
            i += spec.text().length() - 1;
            item(out, spec, args, arg);
        }
        return out.toLuaString();
    }

    private static void item(Output out, FormatSpec spec, Varargs args, int arg) {
        LuaValue v = args.arg(arg);
        switch (spec.conversion()) {
            case 'c' -> {
                spec.check("-", false);
                String ch = String.valueOf((char) (integer(args, arg) & 0xFF));
                write(out, spec.pad(ch, 0, false));
            }
            case 'd', 'i' -> {
                if (spec.text().length() == 2) {
                    write(out, Long.toString(integer(args, arg)));
                } else {
                    integerItem(out, spec, args, arg, "-+ 0");
                }
            }
            case 'u' -> integerItem(out, spec, args, arg, "-0");
            case 'o', 'x', 'X' -> integerItem(out, spec, args, arg, "-#0");
            case 'a', 'A' -> {
                spec.check("-+ #0", true);
                write(out, NumberText.hex(spec, number(args, arg)));
            }
            case 'f', 'e', 'E', 'g', 'G' -> {
                double n = number(args, arg);
                spec.check("-+ #0", true);
                write(out, NumberText.decimal(spec, n));
            }
            case 'p' -> {
                spec.check("-", false);
                write(out, spec.pad(pointer(v), 0, false));
            }
            case 'q' -> {
                if (spec.text().length() > 2) {
                    throw new LuaError("specifier '%q' cannot have modifiers");
                }
                literal(out, v, arg);
            }
            case 's' -> string(out, spec, tostring(v), arg);
            default -> throw new LuaError("invalid conversion '" + spec.text() + "' to 'format'");
        }
    }

    private static void integerItem(Output out, FormatSpec spec, Varargs args, int arg, String flags) {
        long n = integer(args, arg);
        spec.check(flags, true);
        write(out, NumberText.integer(spec, n));
    }

    private static void string(Output out, FormatSpec spec, LuaString s, int arg) {
        if (spec.text().length() == 2) {
            out.write(s.m_bytes, s.m_offset, s.m_length);
            return;
        }
        for (int k = 0; k < s.m_length; k++) {
            if (s.m_bytes[s.m_offset + k] == 0) {
                throw argError(arg, "string contains zeros");
            }
        }
        spec.check("-", true);
        if (spec.precision() < 0 && s.m_length >= 100) {
            out.write(s.m_bytes, s.m_offset, s.m_length);
            return;
        }
        int length = spec.precision() < 0 ? s.m_length : Math.min(s.m_length, spec.precision());
        String text = new String(s.m_bytes, s.m_offset, length, StandardCharsets.ISO_8859_1);
        write(out, spec.pad(text, 0, false));
    }

    /** {@code %q}: Lua 5.4's {@code addliteral}. */
    private static void literal(Output out, LuaValue v, int arg) {
        switch (v.type()) {
            case LuaValue.TSTRING -> quoted(out, v.checkstring());
            case LuaValue.TNUMBER -> {
                double d = v.todouble();
                String text;
                if (IntegerRule.isInteger(d)) {
                    long n = IntegerRule.toLong(d);
                    text = n == Long.MIN_VALUE ? "0x8000000000000000" : Long.toString(n);
                } else if (Double.isNaN(d)) {
                    text = "(0/0)";
                } else if (Double.isInfinite(d)) {
                    text = d > 0 ? "1e9999" : "-1e9999";
                } else {
                    text = NumberText.hex(new FormatSpec("%a", "", 0, -1, 'a'), d);
                }
                write(out, text);
            }
            case LuaValue.TNIL, LuaValue.TBOOLEAN -> write(out, v.tojstring());
            default -> throw argError(arg, "value has no literal form");
        }
    }

    private static void quoted(Output out, LuaString s) {
        out.write('"');
        byte[] b = s.m_bytes;
        int end = s.m_offset + s.m_length;
        for (int k = s.m_offset; k < end; k++) {
            int c = b[k] & 0xFF;
            if (c == '"' || c == '\\' || c == '\n') {
                out.write('\\');
                out.write(c);
            } else if (c < 32 || c == 127) {
                boolean digitFollows = k + 1 < end && b[k + 1] >= '0' && b[k + 1] <= '9';
                write(out, digitFollows ? String.format("\\%03d", c) : "\\" + c);
            } else {
                out.write(c);
            }
        }
        out.write('"');
    }

    /**
     * What {@code tostring} gives: the {@code __tostring} metamethod's string, else LuaJ's text
     * of the value (so {@code %s} writes numbers as {@code tostring} and {@code ..} do).
     */
    static LuaString tostring(LuaValue v) {
        LuaValue handler = v.metatag(TOSTRING);
        if (!handler.isnil()) {
            LuaValue s = handler.call(v);
            if (!s.isstring()) {
                throw new LuaError("'__tostring' must return a string");
            }
            return s.checkstring();
        }
        return v instanceof LuaString s ? s : LuaString.valueOf(v.tojstring());
    }

    private static String pointer(LuaValue v) {
        return switch (v.type()) {
            case LuaValue.TNIL, LuaValue.TBOOLEAN, LuaValue.TNUMBER -> "(null)";
            case LuaValue.TSTRING -> String.format("0x%08x", v.hashCode());
            default -> String.format("0x%08x", System.identityHashCode(v));
        };
    }

    private static long integer(Varargs args, int arg) {
        LuaValue v = args.arg(arg);
        Long n = IntegerRule.integerOf(v);
        if (n != null) {
            return n;
        }
        throw argError(arg, v.tonumber().isnil() ? "number expected, got " + typeName(args, arg)
                : "number has no integer representation");
    }

    private static double number(Varargs args, int arg) {
        LuaValue n = args.arg(arg).tonumber();
        if (n.isnil()) {
            throw argError(arg, "number expected, got " + typeName(args, arg));
        }
        return n.todouble();
    }

    private static String typeName(Varargs args, int arg) {
        return arg > args.narg() ? "no value" : args.arg(arg).typename();
    }

    private static LuaError argError(int arg, String message) {
        return new LuaError("bad argument #" + arg + " to 'format' (" + message + ")");
    }

    private static void write(Output out, String ascii) {
        out.write(ascii);
    }

    /** A growing byte buffer (not synchronized, unlike {@code ByteArrayOutputStream}). */
    private static final class Output {
        private byte[] bytes;
        private int size;

        Output(int capacity) {
            bytes = new byte[capacity];
        }

        private void ensure(int extra) {
            if (size + extra > bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + extra));
            }
        }

        void write(int b) {
            ensure(1);
            bytes[size++] = (byte) b;
        }

        void write(byte[] b, int offset, int length) {
            ensure(length);
            System.arraycopy(b, offset, bytes, size, length);
            size += length;
        }

        void write(String latin1) {
            int n = latin1.length();
            ensure(n);
            for (int k = 0; k < n; k++) {
                bytes[size++] = (byte) latin1.charAt(k);
            }
        }

        LuaString toLuaString() {
            return LuaString.valueOf(bytes, 0, size);
        }
    }
}
