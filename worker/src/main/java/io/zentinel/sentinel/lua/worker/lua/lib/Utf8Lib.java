package io.zentinel.sentinel.lua.worker.lua.lib;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import io.zentinel.sentinel.lua.worker.sandbox.LuaArgs;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The Lua 5.4 {@code utf8} library for LuaJ (which, as Lua 5.2, has none): {@code char},
 * {@code charpattern}, {@code codepoint}, {@code len}, {@code offset}, {@code codes}, with Lua
 * 5.4's argument rules, results and error messages.
 *
 * <p>Decoding is strict unless the optional {@code lax} argument is true (as in Lua 5.4): no
 * overlong forms, no surrogates, nothing above U+10FFFF. {@code utf8.char}, like Lua 5.4's,
 * encodes any value up to 0x7FFFFFFF.
 */
public final class Utf8Lib extends LuaModule {

    /** Lua 5.4's {@code utf8.charpattern}: {@code "[\0-\x7F\xC2-\xFD][\x80-\xBF]*"}. */
    static final LuaString CHARPATTERN = LuaString.valueUsing(new byte[] {
        '[', 0, '-', 0x7F, (byte) 0xC2, '-', (byte) 0xFD, ']', '[', (byte) 0x80, '-', (byte) 0xBF, ']', '*'});

    private static final String INVALID = "invalid UTF-8 code";
    /** Most values {@code utf8.codepoint} returns at once (Lua's stack limit, LUAI_MAXSTACK). */
    private static final long MAX_RESULTS = 1_000_000;

    public Utf8Lib(ExecutionGuard guard) {
        super(guard);
    }

    @Override
    public String moduleName() {
        return "utf8";
    }

    @Override
    void define(LuaTable module) {
        function(module, "char", this::utf8Char);
        function(module, "codepoint", Utf8Lib::codepoint);
        function(module, "len", Utf8Lib::len);
        function(module, "offset", Utf8Lib::offset);
        JavaFunction strictStep = new JavaFunction("utf8.codes", args -> codesStep(args, true));
        JavaFunction laxStep = new JavaFunction("utf8.codes", args -> codesStep(args, false));
        function(module, "codes", args -> codes(args, strictStep, laxStep));
        module.rawset("charpattern", CHARPATTERN);
    }

    private Varargs utf8Char(Varargs args) {
        int n = args.narg();
        byte[] out = new byte[Math.max(6, n * 6)];
        int len = 0;
        for (int i = 1; i <= n; i++) {
            long code = LuaArgs.integer(args, i, "utf8.char");
            if (code < 0 || code > Utf8Codec.MAX_UTF) {
                throw LuaArgs.argError(i, "utf8.char", "value out of range");
            }
            len += Utf8Codec.encode(code, out, len);
        }
        guard.checkStringLength(len);
        return LuaString.valueOf(out, 0, len);
    }

    /** Lua's {@code u_posrelat}: a negative position counts from the end; too negative gives 0. */
    private static long posrelat(long pos, int len) {
        if (pos >= 0) {
            return pos;
        }
        if (-pos > len) {
            return 0;
        }
        return len + pos + 1;
    }

    private static Varargs codepoint(Varargs args) {
        String fn = "utf8.codepoint";
        LuaString s = LuaArgs.string(args, 1, fn);
        int len = s.m_length;
        long posi = posrelat(LuaArgs.optInteger(args, 2, fn, 1), len);
        long pose = posrelat(LuaArgs.optInteger(args, 3, fn, posi), len);
        boolean lax = args.arg(4).toboolean();
        if (posi < 1) {
            throw LuaArgs.argError(2, fn, "out of bounds");
        }
        if (pose > len) {
            throw LuaArgs.argError(3, fn, "out of bounds");
        }
        if (posi > pose) {
            return LuaValue.NONE;
        }
        if (pose - posi >= MAX_RESULTS) {
            throw new LuaError("string slice too long");
        }
        byte[] b = s.m_bytes;
        int end = s.m_offset + len;
        int stop = s.m_offset + (int) pose;
        LuaValue[] codes = new LuaValue[(int) (pose - posi) + 1];
        int n = 0;
        for (int i = s.m_offset + (int) posi - 1; i < stop; ) {
            long d = Utf8Codec.decode(b, i, end, !lax);
            if (d < 0) {
                throw new LuaError(INVALID);
            }
            codes[n++] = LuaValue.valueOf(Utf8Codec.codePoint(d));
            i += Utf8Codec.length(d);
        }
        return LuaValue.varargsOf(codes, 0, n);
    }

    private static Varargs len(Varargs args) {
        String fn = "utf8.len";
        LuaString s = LuaArgs.string(args, 1, fn);
        int len = s.m_length;
        long posi = posrelat(LuaArgs.optInteger(args, 2, fn, 1), len);
        long posj = posrelat(LuaArgs.optInteger(args, 3, fn, -1), len);
        boolean lax = args.arg(4).toboolean();
        if (posi < 1 || --posi > len) {
            throw LuaArgs.argError(2, fn, "initial position out of bounds");
        }
        if (--posj >= len) {
            throw LuaArgs.argError(3, fn, "final position out of bounds");
        }
        byte[] b = s.m_bytes;
        int end = s.m_offset + len;
        long n = 0;
        while (posi <= posj) {
            long d = Utf8Codec.decode(b, s.m_offset + (int) posi, end, !lax);
            if (d < 0) {
                return LuaValue.varargsOf(LuaValue.NIL, LuaValue.valueOf((int) posi + 1));
            }
            posi += Utf8Codec.length(d);
            n++;
        }
        return LuaValue.valueOf((int) n);
    }

    private static Varargs offset(Varargs args) {
        String fn = "utf8.offset";
        LuaString s = LuaArgs.string(args, 1, fn);
        int len = s.m_length;
        long n = LuaArgs.integer(args, 2, fn);
        long posi = posrelat(LuaArgs.optInteger(args, 3, fn, n >= 0 ? 1 : len + 1), len);
        if (posi < 1 || --posi > len) {
            throw LuaArgs.argError(3, fn, "position out of bounds");
        }
        byte[] b = s.m_bytes;
        int off = s.m_offset;
        int end = off + len;
        int p = (int) posi;
        if (n == 0) {
            // find the beginning of the current byte sequence
            while (p > 0 && Utf8Codec.isContinuation(b, off + p, end)) {
                p--;
            }
        } else {
            if (Utf8Codec.isContinuation(b, off + p, end)) {
                throw new LuaError("initial position is a continuation byte");
            }
            if (n < 0) {
                while (n < 0 && p > 0) {
                    do {
                        p--;
                    } while (p > 0 && Utf8Codec.isContinuation(b, off + p, end));
                    n++;
                }
            } else {
                n--;
                while (n > 0 && p < len) {
                    do {
                        p++;
                    } while (Utf8Codec.isContinuation(b, off + p, end));
                    n--;
                }
            }
        }
        return n == 0 ? LuaValue.valueOf(p + 1) : LuaValue.NIL;
    }

    private static Varargs codes(Varargs args, LuaValue strictStep, LuaValue laxStep) {
        String fn = "utf8.codes";
        LuaString s = LuaArgs.string(args, 1, fn);
        boolean lax = args.arg(2).toboolean();
        if (Utf8Codec.isContinuation(s.m_bytes, s.m_offset, s.m_offset + s.m_length)) {
            throw LuaArgs.argError(1, fn, INVALID);
        }
        return LuaValue.varargsOf(lax ? laxStep : strictStep, s, LuaValue.valueOf(0));
    }

    /** The iterator step of {@code utf8.codes}: Lua 5.4.6's {@code iter_aux}. */
    private static Varargs codesStep(Varargs args, boolean strict) {
        LuaString s = LuaArgs.string(args, 1, "utf8.codes");
        int len = s.m_length;
        long n = args.arg(2).tolong();
        byte[] b = s.m_bytes;
        int off = s.m_offset;
        int end = off + len;
        if (n < 0) {
            return LuaValue.NONE;
        }
        if (n < len) {
            while (Utf8Codec.isContinuation(b, off + (int) n, end)) {
                n++; // skip the continuation bytes of the previous character
            }
        }
        if (n >= len) {
            return LuaValue.NONE;
        }
        long d = Utf8Codec.decode(b, off + (int) n, end, strict);
        if (d < 0 || Utf8Codec.isContinuation(b, off + (int) n + Utf8Codec.length(d), end)) {
            throw new LuaError(INVALID);
        }
        return LuaValue.varargsOf(LuaValue.valueOf((int) n + 1), LuaValue.valueOf(Utf8Codec.codePoint(d)));
    }
}
