package io.zentinel.sentinel.lua.worker.sandbox;

import java.util.Arrays;

import io.zentinel.sentinel.lua.worker.dialect.Lua54Format;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * The string functions whose result can be far larger than their arguments, with the length
 * checked <em>before</em> the result is built: {@code rep}, {@code format}, {@code gsub} and
 * {@code byte}. Each one asks {@link InstructionBudget#current()} for the limits of the run on
 * its thread, because the string table is shared by every VM of the JVM.
 */
final class GuardedStrings {
    /** Most values {@code string.byte} returns at once (Lua's own stack limit is of this order). */
    static final int MAX_RESULTS = 1_000_000;
    /** Upper bound of the text a number becomes when used as a replacement. */
    private static final long NUMBER_BYTES = 32;

    private final LuaValue originalGsub;
    private final LuaValue originalByte;
    private final LuaValue originalFind;

    GuardedStrings(LuaTable original) {
        this.originalGsub = original.rawget("gsub");
        this.originalByte = original.rawget("byte");
        this.originalFind = original.rawget("find");
    }

    private abstract static class Named extends VarArgFunction {
        Named(String name) {
            this.name = name;
        }
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

    // ------------------------------------------------------------------ gsub

    /**
     * {@code string.gsub}. With a string replacement whose worst case fits the limit, LuaJ's
     * own gsub runs. Otherwise the result is built here, match by match with LuaJ's
     * {@code string.find} (same pattern engine, same iteration rules as Lua 5.2's gsub), and
     * the length is checked before each piece is appended. Function and table replacements are
     * wrapped so that the length of every value they return is counted as it comes back.
     */
    LuaValue gsub() {
        return new Named("gsub") {
            @Override
            public Varargs invoke(Varargs args) {
                LuaString src = args.checkstring(1);
                LuaString pattern = args.checkstring(2);
                LuaValue repl = args.arg(3);
                ExecutionGuard guard = InstructionBudget.current();
                int type = repl.type();
                if (type == LuaValue.TFUNCTION || type == LuaValue.TTABLE) {
                    Varargs result = originalGsub.invoke(LuaValue.varargsOf(new LuaValue[] {src, pattern,
                            countingReplacement(repl, src.m_length, guard)}, args.subargs(4)));
                    guard.checkStringLength(result.arg1().length());
                    return result;
                }
                if (type != LuaValue.TSTRING && type != LuaValue.TNUMBER) {
                    return originalGsub.invoke(args); // LuaJ raises the argument error
                }
                LuaString replacement = repl.checkstring();
                long maxMatches = args.isnoneornil(4) ? Long.MAX_VALUE : args.checklong(4);
                long matches = Math.max(0, Math.min(maxMatches, (long) src.m_length + 1));
                long perMatch = replacement.m_length + (long) captureReferences(replacement) * src.m_length;
                long worst = saturatedAdd(src.m_length, saturatedMultiply(matches, perMatch));
                if (worst <= guard.maxStringBytes()) {
                    return originalGsub.invoke(args);
                }
                return boundedGsub(src, pattern, replacement, maxMatches, guard);
            }
        };
    }

    private static LuaValue countingReplacement(LuaValue repl, int sourceLength, ExecutionGuard guard) {
        return new VarArgFunction() {
            private long added;

            @Override
            public Varargs invoke(Varargs captures) {
                LuaValue value = repl.isfunction() ? repl.invoke(captures).arg1() : repl.get(captures.arg1());
                if (value instanceof LuaString s) {
                    added += s.m_length;
                } else if (value.type() == LuaValue.TNUMBER) {
                    added += NUMBER_BYTES;
                }
                guard.checkStringLength(sourceLength + added);
                return value;
            }
        };
    }

    private Varargs boundedGsub(LuaString src, LuaString pattern, LuaString replacement, long maxMatches,
            ExecutionGuard guard) {
        boolean anchored = pattern.m_length > 0 && pattern.m_bytes[pattern.m_offset] == '^';
        Output out = new Output(guard);
        int length = src.m_length;
        long n = 0;
        int pos = 1;
        while (n < maxMatches) {
            Varargs found = originalFind.invoke(LuaValue.varargsOf(src, pattern, LuaValue.valueOf(pos)));
            if (found.arg1().isnil()) {
                break;
            }
            int start = found.arg1().toint();
            int end = found.arg(2).toint();
            out.append(src, pos - 1, start - 1);
            n++;
            expand(out, replacement, src, start, end, found);
            if (end >= start) {
                pos = end + 1;
            } else if (start <= length) {
                out.append(src, start - 1, start);
                pos = start + 1;
            } else {
                pos = length + 2;
                break;
            }
            if (anchored || pos > length + 1) {
                break;
            }
            guard.checkDeadline();
        }
        if (pos <= length) {
            out.append(src, pos - 1, length);
        }
        return LuaValue.varargsOf(out.result(), LuaValue.valueOf((double) n));
    }

    /** Appends the replacement for one match: {@code %0}..{@code %9} and {@code %%} as Lua 5.2's add_s. */
    private static void expand(Output out, LuaString replacement, LuaString src, int start, int end, Varargs found) {
        int captures = found.narg() - 2;
        byte[] r = replacement.m_bytes;
        int limit = replacement.m_offset + replacement.m_length;
        for (int i = replacement.m_offset; i < limit; i++) {
            byte b = r[i];
            if (b != '%') {
                out.append(b);
                continue;
            }
            if (++i >= limit) {
                break;
            }
            b = r[i];
            if (b >= '0' && b <= '9') {
                int index = b - '0';
                if (index == 0 || (index == 1 && captures == 0)) {
                    out.append(src, start - 1, end);
                } else if (index <= captures) {
                    out.append(found.arg(2 + index).tostring().checkstring());
                } else {
                    throw new LuaError("invalid capture index");
                }
            } else {
                out.append(b);
            }
        }
    }

    private static int captureReferences(LuaString replacement) {
        int count = 0;
        byte[] r = replacement.m_bytes;
        int limit = replacement.m_offset + replacement.m_length;
        for (int i = replacement.m_offset; i < limit - 1; i++) {
            if (r[i] == '%') {
                if (r[i + 1] >= '0' && r[i + 1] <= '9') {
                    count++;
                }
                i++;
            }
        }
        return count;
    }

    /** A byte buffer that checks the string limit before it grows. */
    private static final class Output {
        private final ExecutionGuard guard;
        private byte[] bytes = new byte[64];
        private int size;

        Output(ExecutionGuard guard) {
            this.guard = guard;
        }

        void append(byte b) {
            ensure(1);
            bytes[size++] = b;
        }

        void append(LuaString s) {
            append(s, 0, s.m_length);
        }

        /** Appends bytes {@code from} (inclusive) to {@code to} (exclusive), 0-based. */
        void append(LuaString s, int from, int to) {
            int count = to - from;
            if (count <= 0) {
                return;
            }
            ensure(count);
            System.arraycopy(s.m_bytes, s.m_offset + from, bytes, size, count);
            size += count;
        }

        private void ensure(int extra) {
            long needed = (long) size + extra;
            guard.checkStringLength(needed);
            if (needed > bytes.length) {
                long grown = Math.max(needed, Math.min((long) bytes.length * 2, guard.maxStringBytes()));
                bytes = Arrays.copyOf(bytes, (int) Math.min(grown, Integer.MAX_VALUE - 8));
            }
        }

        LuaString result() {
            return LuaString.valueOf(bytes, 0, size);
        }
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
