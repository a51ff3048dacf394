package io.zentinel.sentinel.lua.worker.dialect;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Changes to a source, collected while it is parsed and applied in one pass. Every edit sits at
 * token boundaries or inside one token and none adds a line break (except where
 * {@link #suffix(int, String)} is given one explicitly), so every token of the source stays on
 * its line.
 *
 * <p>Edits at the same offset are applied in this order: suffixes (closing parentheses, inner
 * expression first), then prefixes (opening calls, outer expression first: the prefix recorded
 * last comes first), then the replacement of the token that starts there. Where an edit would
 * glue two words together ({@code return} and {@code __lua54}, say) or make {@code --} of two
 * minus signs, a space goes in between.
 */
final class SourceEdits {
    private enum Rank {
        SUFFIX, PREFIX, REPLACE
    }

    private record Edit(int start, int end, String text, Rank rank, int seq, boolean code) {
    }

    private static final Comparator<Edit> ORDER = Comparator.comparingInt(Edit::start)
            .thenComparing(Edit::rank)
            .thenComparingInt(e -> e.rank() == Rank.PREFIX ? -e.seq() : e.seq());

    private final List<Edit> edits = new ArrayList<>();

    /** Inserts {@code text} before whatever starts at {@code offset}. */
    void prefix(int offset, String text) {
        edits.add(new Edit(offset, offset, text, Rank.PREFIX, edits.size(), true));
    }

    /** Inserts {@code text} after whatever ends at {@code offset}. */
    void suffix(int offset, String text) {
        edits.add(new Edit(offset, offset, text, Rank.SUFFIX, edits.size(), true));
    }

    /** Replaces the code from {@code start} to {@code end} (a token or tokens) with {@code text}. */
    void replace(int start, int end, String text) {
        edits.add(new Edit(start, end, text, Rank.REPLACE, edits.size(), true));
    }

    /** Replaces bytes inside a string literal: no spacing rule applies. */
    void replaceInString(int start, int end, String text) {
        edits.add(new Edit(start, end, text, Rank.REPLACE, edits.size(), false));
    }

    boolean isEmpty() {
        return edits.isEmpty();
    }

    /** The source with every edit applied. */
    byte[] apply(byte[] source) {
        List<Edit> sorted = new ArrayList<>(edits);
        sorted.sort(ORDER);
        Output out = new Output(source.length + 16 * sorted.size());
        int cursor = 0;
        for (Edit e : sorted) {
            if (e.start() > cursor) {
                out.append(source, cursor, e.start(), out.spaced);
                cursor = e.start();
            }
            byte[] text = e.text().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            out.append(text, 0, text.length, e.code());
            cursor = Math.max(cursor, e.end());
            out.spaced = e.code();
        }
        out.append(source, cursor, source.length, out.spaced);
        return out.toByteArray();
    }

    private static final class Output {
        private byte[] bytes;
        private int size;
        /** Whether the junction after the last append may need a space. */
        boolean spaced;

        Output(int capacity) {
            bytes = new byte[Math.max(16, capacity)];
        }

        void append(byte[] b, int from, int to, boolean spacing) {
            if (from >= to) {
                return;
            }
            if (spacing && size > 0 && glues(bytes[size - 1], b[from])) {
                put((byte) ' ');
            }
            for (int i = from; i < to; i++) {
                put(b[i]);
            }
        }

        private void put(byte b) {
            if (size == bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, bytes.length * 2);
            }
            bytes[size++] = b;
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(bytes, size);
        }

        private static boolean glues(byte before, byte after) {
            return (word(before) && word(after)) || (before == '-' && after == '-');
        }

        private static boolean word(byte b) {
            return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_';
        }
    }
}
