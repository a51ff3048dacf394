package io.zentinel.sentinel.lua.worker.sandbox;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Matches a {@link LuaPattern} against one subject with Lua 5.2's backtracking rules, and
 * charges the run's budget as it goes.
 *
 * <p>Lua's matcher (and LuaJ's copy of it) can take time exponential in the pattern, for example
 * {@code ('a'):rep(5000):find(('a*'):rep(30) .. 'b')} or {@code ('a'):rep(20000):find('.-.-.-b')},
 * all of it inside one Java call where no instruction hook fires. This one counts its steps
 * (an item tried at a position, a character scanned) and every {@value #STEPS_PER_CHARGE} steps
 * charges {@value #STEPS_PER_CHARGE} / {@value #STEPS_PER_INSTRUCTION} instructions to the
 * {@link ExecutionGuard}, which checks the instruction limit, the deadline and the allocation
 * count as it does every 1,024 Lua instructions. A runaway match therefore ends with the same
 * uncatchable {@link BudgetExceededError} as a runaway loop, in the script's own VM.
 *
 * <p>Nesting (captures, {@code ?}, {@code *}, {@code +}, {@code -}) recurses, as in Lua; more
 * than {@value #MAX_DEPTH} nested levels raise Lua 5.2's {@code pattern too complex} instead
 * of exhausting the Java stack.
 *
 * <p>Positions are indices into the subject's backing array (from {@code begin} to {@code end});
 * the functions of {@link PatternFunctions} turn them into Lua's 1-based positions. One matcher
 * serves one library call on one thread.
 */
final class PatternMatcher {
    /** Steps between two charges to the guard. */
    static final int STEPS_PER_CHARGE = 4096;
    /** Matching steps that cost one Lua instruction (see docs/sandbox.md for the measurement). */
    static final int STEPS_PER_INSTRUCTION = 4;
    /** Lua 5.2's MAXCCALLS for the matcher. */
    static final int MAX_DEPTH = 200;
    static final int MAX_CAPTURES = 32;

    private static final int CAP_UNFINISHED = -1;
    private static final int CAP_POSITION = -2;

    final LuaString subject;
    final byte[] src;
    final int begin;
    final int end;
    private final LuaPattern pattern;
    private final ExecutionGuard guard;

    private final int[] captureStart;
    private final int[] captureLength;
    private int level;
    private int depth;
    /** Steps left before the next charge. */
    private int fuel = STEPS_PER_CHARGE;

    PatternMatcher(LuaString subject, LuaPattern pattern, ExecutionGuard guard) {
        this.subject = subject;
        this.src = subject.m_bytes;
        this.begin = subject.m_offset;
        this.end = begin + subject.m_length;
        this.pattern = pattern;
        this.guard = guard;
        int captures = Math.min(pattern.captureItems(), MAX_CAPTURES);
        this.captureStart = new int[captures];
        this.captureLength = new int[captures];
    }

    /**
     * Matches the whole pattern at position {@code s}.
     *
     * @return the position just past the match, or -1
     */
    int matchAt(int s) {
        level = 0;
        depth = MAX_DEPTH;
        return match(s, 0);
    }

    /** Charges the steps not charged yet; call once when the library call is done. */
    void settle() {
        int used = STEPS_PER_CHARGE - fuel;
        fuel = STEPS_PER_CHARGE;
        if (used >= STEPS_PER_INSTRUCTION) {
            guard.chargeInstructions(used / STEPS_PER_INSTRUCTION);
        }
    }

    /** Counts {@code steps} more steps (a scan done outside {@link #match}). */
    void spend(int steps) {
        fuel -= steps;
        if (fuel < 0) {
            refuel();
        }
    }

    private void refuel() {
        // fuel is at most 0 here: everything since the last charge is used up
        long used = STEPS_PER_CHARGE - (long) fuel;
        fuel = STEPS_PER_CHARGE;
        guard.chargeInstructions(used / STEPS_PER_INSTRUCTION);
    }

    // ------------------------------------------------------------------ matching

    private int match(int s, int n) {
        if (depth == 0) {
            throw new LuaError("pattern too complex");
        }
        depth--;
        int result = items(s, n);
        depth++;
        return result;
    }

    /** Matches the items from {@code n} on at {@code s}; loops over items that need no backtracking. */
    private int items(int s, int n) {
        final LuaPattern p = pattern;
        while (true) {
            if (--fuel < 0) {
                refuel();
            }
            switch (p.kind[n]) {
                case LuaPattern.END -> {
                    return s;
                }
                case LuaPattern.SINGLE -> {
                    boolean one = s < end && p.matches(n, src[s] & 0xFF);
                    switch (p.quantifier[n]) {
                        case LuaPattern.ONE -> {
                            if (!one) {
                                return -1;
                            }
                            s++;
                            n++;
                        }
                        case LuaPattern.OPTIONAL -> {
                            if (one) {
                                int r = match(s + 1, n + 1);
                                if (r >= 0) {
                                    return r;
                                }
                            }
                            n++;
                        }
                        case LuaPattern.LONGEST -> {
                            if (!one) {
                                n++; // zero repetitions: go on without recursing
                            } else {
                                return longest(s, n);
                            }
                        }
                        case LuaPattern.AT_LEAST_ONE -> {
                            return one ? longest(s + 1, n) : -1;
                        }
                        default -> { // SHORTEST
                            if (!one) {
                                n++;
                            } else {
                                return shortest(s, n);
                            }
                        }
                    }
                }
                case LuaPattern.OPEN -> {
                    return startCapture(s, n + 1, CAP_UNFINISHED);
                }
                case LuaPattern.POSITION -> {
                    return startCapture(s, n + 1, CAP_POSITION);
                }
                case LuaPattern.CLOSE -> {
                    return endCapture(s, n + 1);
                }
                case LuaPattern.END_ANCHOR -> {
                    return s == end ? s : -1;
                }
                case LuaPattern.BALANCE -> {
                    s = balance(s, p.arg[n] & 0xFF, p.arg[n] >>> 8);
                    if (s < 0) {
                        return -1;
                    }
                    n++;
                }
                case LuaPattern.FRONTIER -> {
                    int previous = s == begin ? 0 : src[s - 1] & 0xFF;
                    int current = s < end ? src[s] & 0xFF : 0;
                    if (LuaPattern.contains(p.set[n], previous) || !LuaPattern.contains(p.set[n], current)) {
                        return -1;
                    }
                    n++;
                }
                case LuaPattern.BACKREF -> {
                    s = backReference(s, p.arg[n]);
                    if (s < 0) {
                        return -1;
                    }
                    n++;
                }
                default -> throw new LuaError(p.malformed()); // MALFORMED
            }
        }
    }

    /** Item {@code n} repeated as often as it matches from {@code s}, then backing off one at a time. */
    private int longest(int s, int n) {
        final LuaPattern p = pattern;
        int i = 0;
        if (p.set[n] == LuaPattern.ANY) {
            i = end - s; // '.': everything to the end
        } else {
            while (s + i < end && p.matches(n, src[s + i] & 0xFF)) {
                i++;
            }
        }
        spend(i);
        int next = n + 1;
        int literal = literalAfter(next);
        if (literal >= 0) {
            // only positions where the next (plain, single) character matches can succeed
            for (; i >= 0; i--) {
                if (--fuel < 0) {
                    refuel();
                }
                int at = s + i;
                if (at < end && (src[at] & 0xFF) == literal) {
                    int r = match(at, next);
                    if (r >= 0) {
                        return r;
                    }
                }
            }
            return -1;
        }
        for (; i >= 0; i--) {
            int r = match(s + i, next);
            if (r >= 0) {
                return r;
            }
        }
        return -1;
    }

    /** Item {@code n} repeated as rarely as the rest of the pattern allows, from {@code s}. */
    private int shortest(int s, int n) {
        final LuaPattern p = pattern;
        int next = n + 1;
        int literal = literalAfter(next);
        while (true) {
            if (literal < 0 || (s < end && (src[s] & 0xFF) == literal)) {
                int r = match(s, next);
                if (r >= 0) {
                    return r;
                }
            } else if (--fuel < 0) {
                refuel();
            }
            if (s < end && p.matches(n, src[s] & 0xFF)) {
                s++;
            } else {
                return -1;
            }
        }
    }

    /**
     * The byte item {@code n} must match when it is a plain character without quantifier, else
     * -1. Skipping the positions where it cannot match avoids a call that would fail at once;
     * since that call would count one nesting level, the depth is checked here as it would be.
     */
    private int literalAfter(int n) {
        final LuaPattern p = pattern;
        if (p.kind[n] != LuaPattern.SINGLE || p.quantifier[n] != LuaPattern.ONE || p.arg[n] == LuaPattern.NO_CHAR) {
            return -1;
        }
        if (depth == 0) {
            throw new LuaError("pattern too complex");
        }
        return p.arg[n];
    }

    private int startCapture(int s, int n, int what) {
        if (level >= captureStart.length) {
            // as many as the pattern has capture items, at most MAX_CAPTURES: only the latter can be hit
            throw new LuaError("too many captures");
        }
        captureStart[level] = s;
        captureLength[level] = what;
        level++;
        int r = match(s, n);
        if (r < 0) {
            level--;
        }
        return r;
    }

    private int endCapture(int s, int n) {
        int l = captureToClose();
        captureLength[l] = s - captureStart[l];
        int r = match(s, n);
        if (r < 0) {
            captureLength[l] = CAP_UNFINISHED;
        }
        return r;
    }

    private int captureToClose() {
        for (int l = level - 1; l >= 0; l--) {
            if (captureLength[l] == CAP_UNFINISHED) {
                return l;
            }
        }
        throw new LuaError("invalid pattern capture");
    }

    /** {@code %bxy} at {@code s}: past the {@code y} that balances the {@code x} at {@code s}, or -1. */
    private int balance(int s, int open, int close) {
        if (s >= end || (src[s] & 0xFF) != open) {
            return -1;
        }
        int depthOfRun = 1;
        for (int i = s + 1; i < end; i++) {
            int c = src[i] & 0xFF;
            if (c == close) {
                if (--depthOfRun == 0) {
                    spend(i - s);
                    return i + 1;
                }
            } else if (c == open) {
                depthOfRun++;
            }
        }
        spend(end - s);
        return -1;
    }

    /** {@code %1}..{@code %9} at {@code s}: past the repeated capture text, or -1. */
    private int backReference(int s, int digit) {
        int l = digit - 1;
        if (l < 0 || l >= level || captureLength[l] == CAP_UNFINISHED) {
            throw new LuaError("invalid capture index");
        }
        int length = captureLength[l];
        if (length == CAP_POSITION || end - s < length) {
            return -1; // a position capture never matches text (Lua compares with an unsigned length)
        }
        spend(length);
        int from = captureStart[l];
        for (int i = 0; i < length; i++) {
            if (src[from + i] != src[s + i]) {
                return -1;
            }
        }
        return s + length;
    }

    // ------------------------------------------------------------------ results

    /** Number of captures of the last successful match. */
    int captures() {
        return level;
    }

    /**
     * Capture {@code i} (0-based) of the match {@code s}..{@code e}: its text, or its position
     * for a position capture. Capture 0 of a pattern without captures is the whole match.
     */
    LuaValue capture(int i, int s, int e) {
        if (i >= level) {
            if (i == 0) {
                return LuaString.valueOf(src, s, e - s);
            }
            throw new LuaError("invalid capture index");
        }
        int length = captureLength[i];
        if (length == CAP_UNFINISHED) {
            throw new LuaError("unfinished capture");
        }
        if (length == CAP_POSITION) {
            return LuaValue.valueOf(captureStart[i] - begin + 1);
        }
        return LuaString.valueOf(src, captureStart[i], length);
    }

    /**
     * The captures of the match {@code s}..{@code e}; with none, the whole match when
     * {@code wholeIfNone} (match, gmatch, gsub), nothing otherwise (find).
     */
    Varargs captureValues(boolean wholeIfNone, int s, int e) {
        int count = level == 0 && wholeIfNone ? 1 : level;
        return switch (count) {
            case 0 -> LuaValue.NONE;
            case 1 -> capture(0, s, e);
            default -> {
                LuaValue[] values = new LuaValue[count];
                for (int i = 0; i < count; i++) {
                    values[i] = capture(i, s, e);
                }
                yield LuaValue.varargsOf(values);
            }
        };
    }
}
