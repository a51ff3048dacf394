package io.zentinel.sentinel.lua.worker.sandbox;

import org.luaj.vm2.LuaString;

/**
 * A Lua 5.2 pattern, read once into a sequence of items for {@link PatternMatcher}.
 *
 * <p>Items, in the order Lua reads them at each position of the pattern:
 * <ul>
 * <li>{@code (} opens a capture, {@code ()} is a position capture, {@code )} closes the
 *     innermost open capture;</li>
 * <li>{@code $} as the last character anchors the match at the end of the subject;</li>
 * <li>{@code %bxy} matches a balanced run from {@code x} to {@code y}, {@code %f[set]} a
 *     frontier, {@code %1}-{@code %9} (and {@code %0}, always an error) the text of a capture;</li>
 * <li>anything else is a single-character class ({@code .}, {@code %a} and the other classes,
 *     {@code %x} for a non-alphanumeric {@code x}, a {@code [set]}, or a plain character),
 *     optionally followed by one quantifier: {@code *} (longest), {@code +}, {@code -}
 *     (shortest) or {@code ?}.</li>
 * </ul>
 * A leading {@code ^} anchors the match for {@code find}, {@code match} and {@code gsub}; for
 * {@code gmatch} it is a plain character, as in Lua 5.2.
 *
 * <p>Classes are those of C's ctype in the "C" locale, as Lua uses them: only ASCII bytes are
 * letters, digits, punctuation and so on; {@code %g} (printable except space) is Lua 5.2's.
 *
 * <p>Errors stay where Lua raises them: a malformed item (a set without {@code ]}, a pattern
 * ending in {@code %}, {@code %b} without its two characters, {@code %f} without a set) becomes
 * an item that raises its error only when the matcher reaches it, so that {@code ("abc"):find("x%")}
 * is {@code nil} as in Lua, while {@code ("abc"):find("a%")} is an error. Nothing after a
 * malformed item can be reached, so reading stops there.
 *
 * <p>Single-character classes are 256-bit sets (four {@code long}s), built once here instead
 * of being re-read from the pattern at each character as Lua's own matcher does. Immutable
 * after {@link #read}, so a {@link PatternCache} can hand the same instance to later calls.
 */
final class LuaPattern {
    static final byte END = 0;
    static final byte SINGLE = 1;
    static final byte OPEN = 2;
    static final byte POSITION = 3;
    static final byte CLOSE = 4;
    static final byte END_ANCHOR = 5;
    static final byte BALANCE = 6;
    static final byte FRONTIER = 7;
    static final byte BACKREF = 8;
    static final byte MALFORMED = 9;

    /** Quantifiers of a {@link #SINGLE} item. */
    static final byte ONE = 0;
    static final byte OPTIONAL = 1;
    static final byte LONGEST = 2;
    static final byte AT_LEAST_ONE = 3;
    static final byte SHORTEST = 4;

    /** A {@link #SINGLE} item with this char is a set; otherwise it is that one byte. */
    static final int NO_CHAR = -1;

    /** Lua's special characters: a pattern with none of them is a plain string for {@code find}. */
    private static final String SPECIALS = "^$*+?.([%-";

    /** The set of {@code .}: every byte. */
    static final long[] ANY = {-1L, -1L, -1L, -1L};
    /** The sets of {@code %a}, {@code %c} ... by class letter (lower case), {@code null} for non-classes. */
    private static final long[][] CLASSES = new long[128][];

    static {
        for (int c = 0; c < 128; c++) {
            boolean upper = c >= 'A' && c <= 'Z';
            boolean lower = c >= 'a' && c <= 'z';
            boolean digit = c >= '0' && c <= '9';
            boolean control = c < 32 || c == 127;
            boolean space = c == ' ' || (c >= '\t' && c <= '\r');
            boolean graph = c > 32 && c < 127;
            add('a', c, upper || lower);
            add('c', c, control);
            add('d', c, digit);
            add('g', c, graph);
            add('l', c, lower);
            add('p', c, graph && !upper && !lower && !digit);
            add('s', c, space);
            add('u', c, upper);
            add('w', c, upper || lower || digit);
            add('x', c, digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
            add('z', c, c == 0);
        }
    }

    private static void add(char cls, int c, boolean member) {
        if (CLASSES[cls] == null) {
            CLASSES[cls] = new long[4];
        }
        if (member) {
            CLASSES[cls][c >>> 6] |= 1L << c;
        }
    }

    final boolean anchored;
    /** Items; the last one is {@link #END} (or {@link #MALFORMED}). */
    final byte[] kind;
    final byte[] quantifier;
    /** SINGLE: the byte, or {@link #NO_CHAR}; BALANCE: open | close << 8; BACKREF: the digit. */
    final int[] arg;
    /** SINGLE with {@link #NO_CHAR} and FRONTIER: the set. */
    final long[][] set;
    /** The error of the {@link #MALFORMED} item (there is at most one: reading stops there). */
    private String malformed;
    /** Capture items ({@code (} and {@code ()}): more captures can never be open at once. */
    private int captureItems;

    private LuaPattern(boolean anchored, int capacity) {
        this.anchored = anchored;
        this.kind = new byte[capacity];
        this.quantifier = new byte[capacity];
        this.arg = new int[capacity];
        this.set = new long[capacity][];
    }

    /** The message of the {@link #MALFORMED} item. */
    String malformed() {
        return malformed;
    }

    /** How many captures can be open at once, at most. */
    int captureItems() {
        return captureItems;
    }

    /** {@code true} when {@code pattern} has none of Lua's special characters. */
    static boolean isPlain(LuaString pattern) {
        byte[] p = pattern.m_bytes;
        for (int i = pattern.m_offset, end = i + pattern.m_length; i < end; i++) {
            if (SPECIALS.indexOf(p[i]) >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads {@code pattern}.
     *
     * @param anchorAllowed whether a leading {@code ^} anchors ({@code find}, {@code match},
     *     {@code gsub}) or is a plain character ({@code gmatch})
     */
    static LuaPattern read(LuaString pattern, boolean anchorAllowed) {
        byte[] p = pattern.m_bytes;
        int start = pattern.m_offset;
        int end = start + pattern.m_length;
        boolean anchored = anchorAllowed && start < end && p[start] == '^';
        if (anchored) {
            start++;
        }
        // every item takes at least one byte of the pattern; one more for END
        LuaPattern pat = new LuaPattern(anchored, end - start + 1);
        int n = 0;
        int i = start;
        while (i < end) {
            int c = p[i];
            if (c == '(') {
                if (i + 1 < end && p[i + 1] == ')') {
                    pat.kind[n++] = POSITION;
                    i += 2;
                } else {
                    pat.kind[n++] = OPEN;
                    i++;
                }
                pat.captureItems++;
                continue;
            }
            if (c == ')') {
                pat.kind[n++] = CLOSE;
                i++;
                continue;
            }
            if (c == '$' && i + 1 == end) {
                pat.kind[n++] = END_ANCHOR;
                i++;
                continue;
            }
            if (c == '%' && i + 1 < end) {
                int next = p[i + 1];
                if (next == 'b') {
                    if (i + 3 >= end) {
                        return pat.malformed(n, "unbalanced pattern");
                    }
                    pat.kind[n] = BALANCE;
                    pat.arg[n++] = (p[i + 2] & 0xFF) | (p[i + 3] & 0xFF) << 8;
                    i += 4;
                    continue;
                }
                if (next == 'f') {
                    i += 2;
                    if (i >= end || p[i] != '[') {
                        return pat.malformed(n, "Missing [ after %f in pattern");
                    }
                    int setEnd = setEnd(p, i, end);
                    if (setEnd < 0) {
                        return pat.malformed(n, "malformed pattern (missing ']')");
                    }
                    pat.kind[n] = FRONTIER;
                    pat.set[n++] = readSet(p, i, setEnd - 1);
                    i = setEnd;
                    continue;
                }
                if (next >= '0' && next <= '9') {
                    pat.kind[n] = BACKREF;
                    pat.arg[n++] = next - '0';
                    i += 2;
                    continue;
                }
            }
            // a single-character class
            int classEnd;
            if (c == '%') {
                if (i + 1 >= end) {
                    return pat.malformed(n, "malformed pattern (ends with '%')");
                }
                int letter = p[i + 1] & 0xFF;
                long[] cls = letter < 128 ? CLASSES[Character.toLowerCase(letter)] : null;
                if (cls == null) {
                    pat.arg[n] = letter;
                } else {
                    pat.arg[n] = NO_CHAR;
                    pat.set[n] = Character.isUpperCase(letter) ? complement(cls) : cls;
                }
                classEnd = i + 2;
            } else if (c == '[') {
                classEnd = setEnd(p, i, end);
                if (classEnd < 0) {
                    return pat.malformed(n, "malformed pattern (missing ']')");
                }
                pat.arg[n] = NO_CHAR;
                pat.set[n] = readSet(p, i, classEnd - 1);
            } else if (c == '.') {
                pat.arg[n] = NO_CHAR;
                pat.set[n] = ANY;
                classEnd = i + 1;
            } else {
                pat.arg[n] = c & 0xFF;
                classEnd = i + 1;
            }
            pat.kind[n] = SINGLE;
            byte q = ONE;
            if (classEnd < end) {
                switch (p[classEnd]) {
                    case '*' -> q = LONGEST;
                    case '+' -> q = AT_LEAST_ONE;
                    case '-' -> q = SHORTEST;
                    case '?' -> q = OPTIONAL;
                    default -> {
                    }
                }
            }
            pat.quantifier[n++] = q;
            i = q == ONE ? classEnd : classEnd + 1;
        }
        pat.kind[n] = END;
        return pat;
    }

    private LuaPattern malformed(int n, String message) {
        kind[n] = MALFORMED;
        malformed = message;
        return this;
    }

    /**
     * The index just past the {@code ]} that closes the set opening at {@code open}, or -1. The
     * first character of the set (after an optional {@code ^}) is never the closing one, so
     * {@code []]} is the set of {@code ]}; {@code %} escapes the character after it.
     */
    private static int setEnd(byte[] p, int open, int end) {
        int i = open + 1;
        if (i < end && p[i] == '^') {
            i++;
        }
        do {
            if (i >= end) {
                return -1;
            }
            if (p[i++] == '%' && i < end) {
                i++;
            }
        } while (i >= end || p[i] != ']');
        return i + 1;
    }

    /** The set between {@code open} ({@code [}) and {@code close} ({@code ]}), as Lua reads it. */
    private static long[] readSet(byte[] p, int open, int close) {
        long[] bits = new long[4];
        int i = open;
        boolean negated = p[i + 1] == '^';
        if (negated) {
            i++;
        }
        while (++i < close) {
            int c = p[i] & 0xFF;
            if (c == '%') {
                i++;
                int letter = p[i] & 0xFF;
                long[] cls = letter < 128 ? CLASSES[Character.toLowerCase(letter)] : null;
                if (cls == null) {
                    bits[letter >>> 6] |= 1L << letter;
                } else {
                    long[] members = Character.isUpperCase(letter) ? complement(cls) : cls;
                    for (int w = 0; w < 4; w++) {
                        bits[w] |= members[w];
                    }
                }
            } else if (p[i + 1] == '-' && i + 2 < close) {
                int last = p[i + 2] & 0xFF;
                for (int b = c; b <= last; b++) {
                    bits[b >>> 6] |= 1L << b;
                }
                i += 2;
            } else {
                bits[c >>> 6] |= 1L << c;
            }
        }
        return negated ? complement(bits) : bits;
    }

    private static long[] complement(long[] bits) {
        return new long[] {~bits[0], ~bits[1], ~bits[2], ~bits[3]};
    }

    /** Whether the SINGLE item {@code n} matches the byte {@code c} (0..255). */
    boolean matches(int n, int c) {
        int ch = arg[n];
        if (ch != NO_CHAR) {
            return ch == c;
        }
        return (set[n][c >>> 6] & 1L << c) != 0;
    }

    /** Whether {@code bits} holds the byte {@code c} (0..255). */
    static boolean contains(long[] bits, int c) {
        return (bits[c >>> 6] & 1L << c) != 0;
    }
}
