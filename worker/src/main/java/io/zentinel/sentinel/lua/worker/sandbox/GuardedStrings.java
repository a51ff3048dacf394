package io.zentinel.sentinel.lua.worker.sandbox;

import java.util.Arrays;

import io.zentinel.sentinel.lua.worker.dialect.Lua54Format;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The string functions whose result can be far larger than their arguments, with the length
 * checked <em>before</em> the result is built: {@code rep}, {@code format} and {@code byte}
 * ({@code gsub} is {@link PatternFunctions}'s). Each one asks {@link InstructionBudget#current()} for the limits of the run on
 * its thread, because the string table is shared by every VM of the JVM.
 */
final class GuardedStrings {
    /** Most values {@code string.byte} returns at once (Lua's own stack limit is of this order). */
    static final int MAX_RESULTS = 1_000_000;

    private final LuaValue originalByte;

    GuardedStrings(LuaTable original) {
        this.originalByte = original.rawget("byte");
    }

    // ------------------------------------------------------------------ rep

    /** {@code string.rep(s, n [, sep])}, Lua 5.2 semantics (LuaJ 3.0.1 ignores {@code sep}). */
    LuaValue rep() {
        return new Named("rep") {
            @Override
            public Varargs invoke(Varargs args) {
                LuaString s = args.checkstring(1);
                long n = args.checklong(2);
                LuaString sep = args.isnoneornil(3) ? LuaString.valueOf("") : args.checkstring(3);
                if (n <= 0 || (s.m_length == 0 && sep.m_length == 0)) {
                    return LuaValue.EMPTYSTRING;
                }
                long total = saturatedAdd(saturatedMultiply(s.m_length, n), saturatedMultiply(sep.m_length, n - 1));
                InstructionBudget.current().checkStringLength(total);
                if (total > Integer.MAX_VALUE - 8) {
                    throw new LuaError("resulting string too large");
                }
                byte[] out = new byte[(int) total];
                int unit = s.m_length + sep.m_length;
                System.arraycopy(s.m_bytes, s.m_offset, out, 0, s.m_length);
                if (sep.m_length > 0 && n > 1) {
                    System.arraycopy(sep.m_bytes, sep.m_offset, out, s.m_length, sep.m_length);
                }
                // copy the first (s .. sep) unit over and over, doubling the filled part each time
                int filled = (int) Math.min(total, unit);
                while (filled < total) {
                    int chunk = (int) Math.min(filled, total - filled);
                    System.arraycopy(out, 0, out, filled, chunk);
                    filled += chunk;
                }
                return LuaString.valueUsing(out);
            }
        };
    }

    // ------------------------------------------------------------------ format

    /**
     * {@code string.format}, Lua 5.4's ({@link Lua54Format}): every conversion consumes one
     * argument, so the format and the string arguments bound the output, except for the text of
     * the non-string arguments (numbers, a few hundred bytes at most each) and {@code %q}, which
     * may write a string up to four times as long; the string part is checked before, the whole
     * result after.
     */
    LuaValue format() {
        return new Named("format") {
            @Override
            public Varargs invoke(Varargs args) {
                LuaString fmt = args.checkstring(1);
                long strings = fmt.m_length;
                for (int i = 2; i <= args.narg(); i++) {
                    if (args.arg(i) instanceof LuaString s) {
                        strings = saturatedAdd(strings, s.m_length);
                    }
                }
                ExecutionGuard guard = InstructionBudget.current();
                guard.checkStringLength(strings);
                Varargs result = Lua54Format.format(args);
                guard.checkStringLength(result.arg1().length());
                return result;
            }
        };
    }

    // ------------------------------------------------------------------ byte

    /** {@code string.byte(s, i, j)}: refuses to return more than {@value #MAX_RESULTS} values. */
    LuaValue bytes() {
        return new Named("byte") {
            @Override
            public Varargs invoke(Varargs args) {
                LuaString s = args.checkstring(1);
                if (s.m_length > MAX_RESULTS) {
                    long length = s.m_length;
                    long i = relative(args.optlong(2, 1), length);
                    long j = relative(args.optlong(3, i), length);
                    i = Math.max(i, 1);
                    j = Math.min(j, length);
                    if (j - i + 1 > MAX_RESULTS) {
                        throw new LuaError("string slice too long");
                    }
                }
                return originalByte.invoke(args);
            }
        };
    }

    private static long relative(long pos, long length) {
        return pos >= 0 ? pos : length + pos + 1;
    }

    static long saturatedMultiply(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        if ((high == 0 && low >= 0) || (high == -1 && low < 0)) {
            return low;
        }
        return Long.MAX_VALUE;
    }

    static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
