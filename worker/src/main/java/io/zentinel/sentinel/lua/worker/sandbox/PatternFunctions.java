package io.zentinel.sentinel.lua.worker.sandbox;

import java.util.Arrays;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * {@code string.find}, {@code string.match}, {@code string.gmatch} and {@code string.gsub} on
 * {@link PatternMatcher}, in place of LuaJ's, so that matching counts toward the run's
 * instruction and time limits. Each call finds the limits of the run on its thread through
 * {@link InstructionBudget#current()}, because the string table is shared by every VM.
 *
 * <p>Arguments are read with LuaJ's own checks, so argument errors read as before, and the
 * results follow LuaJ's where LuaJ gives one: {@code init} past the end of the subject starts
 * at the end ({@code ("abc"):find("", 10)} is {@code 4, 3}); {@code %x} in a replacement string
 * is {@code x}; a replacement of the wrong type is an error only once something matched.
 * Where LuaJ 3.0.1 throws a Java exception, loops forever or lacks a feature, Lua 5.2's
 * behaviour applies (see docs/sandbox.md, "Lua patterns"): {@code gmatch} moves on after an
 * empty match, {@code %f} and {@code %g} work, classes are ASCII only, and malformed patterns
 * ({@code [a}, {@code %f}), the empty pattern in {@code match} and a replacement ending in
 * {@code %} raise Lua errors.
 *
 * <p>{@code gsub} builds its result in a buffer that checks the string limit before it grows.
 * {@code find} with {@code plain} (or a pattern without special characters) scans without the
 * pattern machinery but is charged the same way, so a quadratic plain search is bounded too.
 */
final class PatternFunctions {

    private PatternFunctions() {
    }

    static LuaValue find() {
        return new Named("find") {
            @Override
            public Varargs invoke(Varargs args) {
                return findOrMatch(args, true);
            }
        };
    }

    static LuaValue match() {
        return new Named("match") {
            @Override
            public Varargs invoke(Varargs args) {
                return findOrMatch(args, false);
            }
        };
    }

    /** The pattern, from the VM's {@link PatternCache} during a script run. */
    private static LuaPattern read(ExecutionGuard guard, LuaString pattern, boolean anchorAllowed) {
        return guard instanceof InstructionBudget budget ? budget.patterns().get(pattern, anchorAllowed)
                : LuaPattern.read(pattern, anchorAllowed);
    }

    /** LuaJ's reading of {@code init}: 1-based, negative from the end, clamped to 0..length. */
    private static int start(int init, int length) {
        if (init > 0) {
            return Math.min(init - 1, length);
        }
        if (init < 0) {
            return Math.max(0, length + init);
        }
        return 0;
    }

    private static Varargs findOrMatch(Varargs args, boolean find) {
        LuaString s = args.checkstring(1);
        LuaString pat = args.checkstring(2);
        int init = start(args.optint(3, 1), s.m_length);
        ExecutionGuard guard = InstructionBudget.current();
        if (find && (args.arg(4).toboolean() || LuaPattern.isPlain(pat))) {
            int at = plainFind(s, pat, init, guard);
            return at < 0 ? LuaValue.NIL : LuaValue.varargsOf(LuaValue.valueOf(at + 1), LuaValue.valueOf(at + pat.m_length));
        }
        LuaPattern pattern = read(guard, pat, true);
        PatternMatcher m = new PatternMatcher(s, pattern, guard);
        try {
            int from = m.begin + init;
            do {
                int e = m.matchAt(from);
                if (e >= 0) {
                    if (find) {
                        return LuaValue.varargsOf(LuaValue.valueOf(from - m.begin + 1), LuaValue.valueOf(e - m.begin),
                                m.captureValues(false, from, e));
                    }
                    return m.captureValues(true, from, e);
                }
            } while (from++ < m.end && !pattern.anchored);
            return LuaValue.NIL;
        } finally {
            m.settle();
        }
    }

    /**
     * The 0-based index of {@code pat} in {@code s} at or after {@code from}, or -1; charges a
     * step per byte compared.
     */
    static int plainFind(LuaString s, LuaString pat, int from, ExecutionGuard guard) {
        int n = pat.m_length;
        int last = s.m_length - n;
        if (n == 0) {
            return from <= s.m_length ? from : -1;
        }
        byte[] a = s.m_bytes;
        byte[] b = pat.m_bytes;
        int aOff = s.m_offset;
        int bOff = pat.m_offset;
        byte first = b[bOff];
        long compared = 0;
        int i = from;
        try {
            for (; i <= last; i++) {
                if (a[aOff + i] != first) {
                    continue;
                }
                int j = 1;
                while (j < n && a[aOff + i + j] == b[bOff + j]) {
                    j++;
                }
                if (j == n) {
                    return i;
                }
                compared += j;
                if (compared >= PatternMatcher.STEPS_PER_CHARGE) {
                    guard.chargeInstructions(compared / PatternMatcher.STEPS_PER_INSTRUCTION);
                    compared %= PatternMatcher.STEPS_PER_INSTRUCTION;
                }
            }
            return -1;
        } finally {
            // a step per position scanned and per byte compared
            long steps = compared + Math.max(0, i - from);
            if (steps >= PatternMatcher.STEPS_PER_INSTRUCTION) {
                guard.chargeInstructions(steps / PatternMatcher.STEPS_PER_INSTRUCTION);
            }
        }
    }

    // ------------------------------------------------------------------ gmatch

    static LuaValue gmatch() {
        return new Named("gmatch") {
            @Override
            public Varargs invoke(Varargs args) {
                LuaString s = args.checkstring(1);
                LuaString pat = args.checkstring(2);
                return new GmatchIterator(s, read(InstructionBudget.current(), pat, false));
            }
        };
    }

    /** The iterator {@code gmatch} returns: after an empty match it moves on by one position, as in Lua 5.2. */
    private static final class GmatchIterator extends VarArgFunction {
        private final LuaString subject;
        private final LuaPattern pattern;
        /** 0-based position of the next attempt. */
        private int next;

        GmatchIterator(LuaString subject, LuaPattern pattern) {
            this.subject = subject;
            this.pattern = pattern;
            this.name = "gmatch_aux";
        }

        @Override
        public Varargs invoke(Varargs args) {
            PatternMatcher m = new PatternMatcher(subject, pattern, InstructionBudget.current());
            try {
                for (int from = m.begin + next; from <= m.end; from++) {
                    int e = m.matchAt(from);
                    if (e >= 0) {
                        next = (e == from ? e + 1 : e) - m.begin;
                        return m.captureValues(true, from, e);
                    }
                }
                next = subject.m_length + 1;
                return LuaValue.NIL;
            } finally {
                m.settle();
            }
        }
    }

    // ------------------------------------------------------------------ gsub

    static LuaValue gsub() {
        return new Named("gsub") {
            @Override
            public Varargs invoke(Varargs args) {
                LuaString src = args.checkstring(1);
                LuaString pat = args.checkstring(2);
                LuaValue repl = args.arg(3);
                int maxMatches = args.optint(4, src.m_length + 1);
                ExecutionGuard guard = InstructionBudget.current();
                LuaPattern pattern = read(guard, pat, true);
                PatternMatcher m = new PatternMatcher(src, pattern, guard);
                Output out = new Output(guard, src.m_length);
                int n = 0;
                int at = m.begin;
                int copied = m.begin; // the subject before this is in out (or replaced)
                try {
                    while (n < maxMatches) {
                        int e = m.matchAt(at);
                        if (e >= 0) {
                            n++;
                            out.append(m.src, copied, at);
                            replace(out, m, at, e, repl);
                            copied = e;
                        }
                        if (e > at) {
                            at = e;
                        } else if (at < m.end) {
                            at++; // the character stays, and is copied with the next piece
                        } else {
                            break;
                        }
                        if (pattern.anchored) {
                            break;
                        }
                    }
                } finally {
                    m.settle();
                }
                out.append(m.src, copied, m.end);
                return LuaValue.varargsOf(out.result(), LuaValue.valueOf(n));
            }
        };
    }

    /** Appends the replacement of the match {@code s}..{@code e}. */
    private static void replace(Output out, PatternMatcher m, int s, int e, LuaValue repl) {
        LuaValue value;
        switch (repl.type()) {
            case LuaValue.TSTRING, LuaValue.TNUMBER -> {
                expand(out, repl.strvalue(), m, s, e);
                return;
            }
            case LuaValue.TFUNCTION -> value = repl.invoke(m.captureValues(true, s, e)).arg1();
            case LuaValue.TTABLE -> value = repl.get(m.capture(0, s, e));
            default -> throw new LuaError("bad argument: string/function/table expected");
        }
        if (!value.toboolean()) {
            out.append(m.src, s, e); // false or nil: keep the match
        } else if (value.isstring()) {
            LuaString text = value.strvalue();
            out.append(text.m_bytes, text.m_offset, text.m_offset + text.m_length);
        } else {
            throw new LuaError("invalid replacement value (a " + value.typename() + ")");
        }
    }

    /** A replacement string: {@code %0}..{@code %9} are captures, {@code %} before anything else quotes it. */
    private static void expand(Output out, LuaString replacement, PatternMatcher m, int s, int e) {
        byte[] r = replacement.m_bytes;
        int limit = replacement.m_offset + replacement.m_length;
        int plain = replacement.m_offset;
        for (int i = plain; i < limit; i++) {
            if (r[i] != '%') {
                continue;
            }
            out.append(r, plain, i);
            if (++i >= limit) {
                throw new LuaError("invalid use of '%' in replacement string");
            }
            byte b = r[i];
            if (b == '0') {
                out.append(m.src, s, e);
            } else if (b >= '1' && b <= '9') {
                LuaString text = m.capture(b - '1', s, e).strvalue();
                out.append(text.m_bytes, text.m_offset, text.m_offset + text.m_length);
            } else {
                out.append(r, i, i + 1);
            }
            plain = i + 1;
        }
        out.append(r, plain, limit);
    }

    /** A byte buffer that checks the string limit before it grows. */
    private static final class Output {
        private final ExecutionGuard guard;
        private byte[] bytes;
        private int size;

        Output(ExecutionGuard guard, int expected) {
            this.guard = guard;
            this.bytes = new byte[(int) Math.min(Math.max(16, expected), guard.maxStringBytes())];
        }

        /** Appends {@code from} (inclusive) to {@code to} (exclusive) of {@code source}. */
        void append(byte[] source, int from, int to) {
            int count = to - from;
            if (count <= 0) {
                return;
            }
            long needed = (long) size + count;
            if (needed > bytes.length) {
                guard.checkStringLength(needed);
                long grown = Math.max(needed, Math.min((long) bytes.length * 2, guard.maxStringBytes()));
                bytes = Arrays.copyOf(bytes, (int) Math.min(grown, Integer.MAX_VALUE - 8));
            }
            System.arraycopy(source, from, bytes, size, count);
            size += count;
        }

        LuaString result() {
            return LuaString.valueOf(bytes, 0, size);
        }
    }
}
