package io.zentinel.sentinel.lua.worker.lua;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code ```lua} blocks of a Markdown document, and the {@code -->} result comments in them.
 *
 * <p>A result comment is a Lua line comment that starts with {@code -->}, outside any string:
 * <ul>
 * <li>{@code CODE --> VALUES}: {@code CODE} is a call ({@code f(x)}, {@code obj:m(x)}) or an
 *     assignment ({@code local a, b = EXPR}, {@code t.k = EXPR}); {@code VALUES} is a Lua expression
 *     list that the call's results, or the assigned values, must equal. A {@code -- comment} may
 *     follow {@code VALUES}.</li>
 * <li>{@code [CODE] --> decision: DECISION}: after {@code CODE} (if any) the decision is
 *     {@code DECISION}: {@code allow}, {@code block STATUS ["BODY"]} or {@code redirect STATUS "URL"}.
 *     Inside a hook this is the decision the script has made so far; on a line of its own at the
 *     top level of a script, the decision the agent sends for the example transaction.</li>
 * </ul>
 * A block whose last non-blank line before the opening fence is {@value #NOT_RUN} is marked as not run.
 */
final class LuaCodeBlocks {
    static final String NOT_RUN = "<!-- not run -->";

    private static final Pattern OPEN = Pattern.compile("^(\\s*)```lua\\s*$");
    private static final Pattern CLOSE = Pattern.compile("^\\s*```\\s*$");
    /** {@code [local] name[, name] = rest}, where {@code =} is not the start of {@code ==}. */
    private static final Pattern ASSIGNMENT = Pattern.compile(
            "^(\\s*(?:local\\s+)?[A-Za-z_][\\w.]*(?:\\s*,\\s*[A-Za-z_][\\w.]*)*\\s*)=(?!=)(.*)$");

    private LuaCodeBlocks() {
    }

    /**
     * One {@code ```lua} block.
     *
     * @param source    document name, for messages
     * @param firstLine line number (1-based) of the block's first code line in the document
     * @param text      the code, with the fence's indentation removed, ending in a newline
     * @param run       false when the block is marked {@value #NOT_RUN}
     */
    record Block(String source, int firstLine, String text, boolean run) {
        String where(int blockLine) {
            return source + ":" + (firstLine + blockLine - 1);
        }

        @Override
        public String toString() {
            return where(1);
        }
    }

    /** The prefix of a decision check, after {@code -->}. */
    static final String DECISION = "decision:";

    /**
     * A result comment.
     *
     * @param line     1-based line in the block
     * @param code     the code left of {@code -->}, possibly blank
     * @param expected the text right of {@code -->} (after {@value #DECISION} for a decision),
     *                 without a trailing comment
     */
    record Check(int line, String code, String expected, boolean isDecision) {
    }

    static List<Block> parse(String source, String markdown) {
        List<Block> blocks = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        String lastNonBlank = "";
        for (int i = 0; i < lines.length; i++) {
            Matcher open = OPEN.matcher(lines[i]);
            if (!open.matches()) {
                if (!lines[i].isBlank()) {
                    lastNonBlank = lines[i].strip();
                }
                continue;
            }
            String indent = open.group(1);
            StringBuilder text = new StringBuilder();
            int j = i + 1;
            for (; j < lines.length && !CLOSE.matcher(lines[j]).matches(); j++) {
                String line = lines[j];
                text.append(line.startsWith(indent) ? line.substring(indent.length()) : line.stripLeading()).append('\n');
            }
            if (j == lines.length) {
                throw new IllegalArgumentException(source + ":" + (i + 1) + ": the ```lua block is never closed");
            }
            blocks.add(new Block(source, i + 2, text.toString(), !lastNonBlank.equals(NOT_RUN)));
            lastNonBlank = "";
            i = j;
        }
        return blocks;
    }

    /** The result comments of {@code text}, in order. */
    static List<Check> checks(String text) {
        List<Check> checks = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        Scanner scanner = new Scanner();
        for (int i = 0; i < lines.length; i++) {
            int comment = scanner.lineComment(lines[i]);
            if (comment >= 0 && lines[i].startsWith("-->", comment)) {
                String expected = lines[i].substring(comment + 3);
                int trailing = new Scanner().lineComment(expected);
                if (trailing >= 0) {
                    expected = expected.substring(0, trailing);
                }
                expected = expected.strip();
                boolean decision = expected.startsWith(DECISION);
                if (decision) {
                    expected = expected.substring(DECISION.length()).strip().replaceAll("\\s+", " ");
                }
                checks.add(new Check(i + 1, lines[i].substring(0, comment), expected, decision));
            }
        }
        return checks;
    }

    /**
     * {@code text} with every check turned into a call of a probe, line for line. A value check
     * {@code CODE --> VALUES} becomes {@code valueProbe(ID, function() return VALUES end, CODE)} or,
     * for an assignment {@code NAMES = EXPR}, {@code NAMES = valueProbe(ID, function() return VALUES end, EXPR)};
     * a decision check becomes {@code CODE; decisionProbe(ID)}. ID is the check's line in the block.
     */
    static String instrument(String text, String valueProbe, String decisionProbe) {
        String[] lines = text.split("\n", -1);
        for (Check check : checks(text)) {
            String code = check.code().stripTrailing();
            String replaced;
            if (check.isDecision()) {
                replaced = code + (code.isBlank() ? "" : "; ") + decisionProbe + "(" + check.line() + ")";
            } else {
                String expected = "function() return " + check.expected() + " end";
                Matcher assignment = ASSIGNMENT.matcher(code);
                if (assignment.matches()) {
                    replaced = assignment.group(1) + "= " + valueProbe + "(" + check.line() + ", " + expected + ", "
                            + assignment.group(2).strip() + ")";
                } else {
                    int indent = code.length() - code.stripLeading().length();
                    replaced = code.substring(0, indent) + valueProbe + "(" + check.line() + ", " + expected + ", "
                            + code.strip() + ")";
                }
            }
            lines[check.line() - 1] = replaced;
        }
        return String.join("\n", lines);
    }

    /**
     * Finds where line comments start, skipping strings and block comments; keeps its state from
     * line to line, so that long strings and block comments may span lines.
     */
    private static final class Scanner {
        /** Level of the long bracket we are in ({@code [==[} is 2), or -1. */
        private int longLevel = -1;

        /** Index where a line comment starts in {@code line}, or -1. */
        int lineComment(String line) {
            int i = 0;
            while (i < line.length()) {
                if (longLevel >= 0) {
                    int end = line.indexOf("]" + "=".repeat(longLevel) + "]", i);
                    if (end < 0) {
                        return -1;
                    }
                    i = end + longLevel + 2;
                    longLevel = -1;
                    continue;
                }
                char c = line.charAt(i);
                if (c == '"' || c == '\'') {
                    i = endOfString(line, i);
                } else if (c == '[' && longBracket(line, i) >= 0) {
                    longLevel = longBracket(line, i);
                    i += longLevel + 2;
                } else if (line.startsWith("--", i)) {
                    int level = longBracket(line, i + 2);
                    if (level < 0) {
                        return i;
                    }
                    longLevel = level;
                    i += 2 + level + 2;
                } else {
                    i++;
                }
            }
            return -1;
        }

        private static int endOfString(String line, int start) {
            char quote = line.charAt(start);
            int i = start + 1;
            while (i < line.length() && line.charAt(i) != quote) {
                i += line.charAt(i) == '\\' ? 2 : 1;
            }
            return i + 1;
        }

        /** The level of a long bracket opening at {@code i} ({@code [[} is 0), or -1. */
        private static int longBracket(String line, int i) {
            if (i >= line.length() || line.charAt(i) != '[') {
                return -1;
            }
            int j = i + 1;
            while (j < line.length() && line.charAt(j) == '=') {
                j++;
            }
            return j < line.length() && line.charAt(j) == '[' ? j - i - 1 : -1;
        }
    }
}
