package io.zentinel.sentinel.lua.supervisor.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A plain-text table: a header row, columns two spaces apart, sized to their widest cell;
 * numeric columns right-aligned. Cells may be painted (coloured) after padding, so escape codes
 * never upset the alignment. The last column is not padded.
 */
final class TextTable {
    private final String[] titles;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();
    private final List<List<UnaryOperator<String>>> paints = new ArrayList<>();

    /** Column titles; a title starting with {@code >} is right-aligned (the {@code >} is dropped). */
    TextTable(String... titles) {
        this.titles = new String[titles.length];
        this.right = new boolean[titles.length];
        for (int i = 0; i < titles.length; i++) {
            right[i] = titles[i].startsWith(">");
            this.titles[i] = right[i] ? titles[i].substring(1) : titles[i];
        }
    }

    /** Adds a row; {@code null} cells print as {@code -}. */
    TextTable row(String... cells) {
        if (cells.length != titles.length) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + titles.length);
        }
        String[] copy = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            copy[i] = cells[i] == null || cells[i].isEmpty() ? "-" : cells[i];
        }
        rows.add(copy);
        paints.add(new ArrayList<>(Collections.nCopies(cells.length, UnaryOperator.<String>identity())));
        return this;
    }

    /** Paints cell {@code column} of the last row added. */
    TextTable paint(int column, UnaryOperator<String> paint) {
        paints.getLast().set(column, paint);
        return this;
    }

    int size() {
        return rows.size();
    }

    void print(PrintWriter out, String indent, UnaryOperator<String> titlePaint) {
        if (titlePaint == null) {
            titlePaint = UnaryOperator.identity();
        }
        int[] widths = new int[titles.length];
        for (int i = 0; i < titles.length; i++) {
            widths[i] = titles[i].length();
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        out.println(indent + line(titles, widths, null, titlePaint));
        for (int r = 0; r < rows.size(); r++) {
            out.println(indent + line(rows.get(r), widths, paints.get(r), null));
        }
    }

    private String line(String[] cells, int[] widths, List<UnaryOperator<String>> cellPaints,
                        UnaryOperator<String> all) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            String pad = " ".repeat(widths[i] - cells[i].length());
            String painted = (all != null ? all : cellPaints.get(i)).apply(cells[i]);
            if (right[i]) {
                text.append(pad).append(painted);
            } else {
                text.append(painted).append(last ? "" : pad);
            }
            if (!last) {
                text.append("  ");
            }
        }
        return text.toString();
    }
}
