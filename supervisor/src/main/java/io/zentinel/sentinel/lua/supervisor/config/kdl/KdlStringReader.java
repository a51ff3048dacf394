package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Reads quoted and raw strings in either version.
 *
 * <ul>
 *   <li>v1: {@code "..."} with escapes, literal newlines allowed; raw {@code r"..."}, {@code r#"..."#}.
 *   <li>v2: {@code "..."} on one line (a backslash before white space joins lines), {@code """}
 *       multi-line strings whose closing line's indentation is removed from every line, raw
 *       {@code #"..."#} and raw multi-line {@code #"""..."""#}.
 * </ul>
 */
final class KdlStringReader {

    private final KdlSource src;
    private final KdlVersion version;

    KdlStringReader(KdlSource src) {
        this.src = src;
        this.version = src.version();
    }

    /** Whether a quoted or raw string starts at the position. */
    boolean atString() {
        int cp = src.peek();
        if (cp == '"') {
            return true;
        }
        // v1 raw strings start with r, v2 raw strings with the first #
        int i;
        if (version == KdlVersion.V1 && cp == 'r') {
            i = 1;
        } else if (version == KdlVersion.V2 && cp == '#') {
            i = 0;
        } else {
            return false;
        }
        while (src.peek(i) == '#') {
            i++;
        }
        return src.peek(i) == '"';
    }

    String read() throws KdlParseException {
        if (src.peek() == '"') {
            return version == KdlVersion.V1 ? readV1Quoted() : readV2Quoted();
        }
        return readRaw();
    }

    // ---------------------------------------------------------------- quoted

    private String readV1Quoted() throws KdlParseException {
        int start = src.position();
        src.skip(1);
        StringBuilder out = new StringBuilder();
        while (true) {
            int cp = src.next();
            if (cp == KdlSource.EOF) {
                throw src.errorAt(start, "unterminated string: the '\"' has no closing '\"'");
            } else if (cp == '"') {
                return out.toString();
            } else if (cp == '\\') {
                out.appendCodePoint(escape());
            } else {
                out.appendCodePoint(cp);
            }
        }
    }

    private String readV2Quoted() throws KdlParseException {
        if (src.lookingAt("\"\"\"")) {
            return readMultiLine(0);
        }
        int start = src.position();
        src.skip(1);
        StringBuilder out = new StringBuilder();
        while (true) {
            int cp = src.peek();
            if (cp == KdlSource.EOF) {
                throw src.errorAt(start, "unterminated string: the '\"' has no closing '\"'");
            } else if (src.atNewline()) {
                throw src.error("a newline cannot appear in a single-line string;"
                        + " use \"\"\" for a multi-line string or \\n for a newline");
            }
            src.skip(1);
            if (cp == '"') {
                return out.toString();
            } else if (cp == '\\') {
                if (!skipWhitespaceEscape()) {
                    out.appendCodePoint(escape());
                }
            } else {
                out.appendCodePoint(cp);
            }
        }
    }

    /** After a consumed {@code \}: a v2 whitespace escape consumes all following white space and newlines. */
    private boolean skipWhitespaceEscape() {
        if (version != KdlVersion.V2 || !(KdlVersion.isUnicodeSpace(src.peek()) || src.atNewline())) {
            return false;
        }
        while (KdlVersion.isUnicodeSpace(src.peek()) || src.atNewline()) {
            src.skipNewlineOrChar();
        }
        return true;
    }

    /** After a consumed {@code \}: the escaped code point. */
    private int escape() throws KdlParseException {
        int at = src.position() - 1;
        int cp = src.next();
        return switch (cp) {
            case '"' -> '"';
            case '\\' -> '\\';
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case '/' -> {
                if (version == KdlVersion.V2) {
                    throw src.errorAt(at, "'\\/' is not an escape in KDL v2; write '/' as it is");
                }
                yield '/';
            }
            case 's' -> {
                if (version == KdlVersion.V1) {
                    throw src.errorAt(at, "'\\s' is not an escape in KDL v1; write a space");
                }
                yield ' ';
            }
            case 'u' -> unicodeEscape(at);
            default -> throw src.errorAt(at, "unknown escape '\\" + (cp == KdlSource.EOF ? "" : Character.toString(cp))
                    + "'; the escapes are \\\" \\\\ \\b \\f \\n \\r \\t "
                    + (version == KdlVersion.V1 ? "\\/" : "\\s") + " and \\u{hex}");
        };
    }

    private int unicodeEscape(int at) throws KdlParseException {
        if (src.next() != '{') {
            throw src.errorAt(at, "expected '{' after '\\u': a unicode escape is written \\u{1F600}");
        }
        int value = 0;
        int digits = 0;
        while (Character.digit(src.peek(), 16) >= 0 && src.peek() < 0x80) {
            value = value * 16 + Character.digit(src.next(), 16);
            if (++digits > 6) {
                throw src.errorAt(at, "a unicode escape has at most 6 hex digits");
            }
        }
        if (digits == 0 || src.next() != '}') {
            throw src.errorAt(at, "a unicode escape is 1 to 6 hex digits between '{' and '}', like \\u{1F600}");
        }
        if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
            throw src.errorAt(at, String.format("\\u{%X} is not a Unicode scalar value", value));
        }
        return value;
    }

    // ---------------------------------------------------------------- raw

    private String readRaw() throws KdlParseException {
        int start = src.position();
        if (version == KdlVersion.V1) {
            src.skip(1); // the 'r'
        }
        int hashes = 0;
        while (src.peek() == '#') {
            src.skip(1);
            hashes++;
        }
        String closing = "\"" + "#".repeat(hashes);
        if (version == KdlVersion.V2 && src.lookingAt("\"\"\"")) {
            return readMultiLine(hashes);
        }
        src.skip(1); // the '"'
        StringBuilder out = new StringBuilder();
        while (!src.lookingAt(closing)) {
            if (src.atEnd()) {
                throw src.errorAt(start, "unterminated raw string: expected '" + closing + "' to close it");
            }
            if (version == KdlVersion.V2 && src.atNewline()) {
                throw src.error("a newline cannot appear in a single-line raw string;"
                        + " use #\"\"\" for a multi-line raw string");
            }
            out.appendCodePoint(src.next());
        }
        src.skip(closing.length());
        return out.toString();
    }

    // ---------------------------------------------------------------- v2 multi-line

    /**
     * A v2 multi-line string, quoted ({@code hashes == 0}) or raw. The body starts after the
     * newline that follows the opening quotes and ends at a line holding only white space and the
     * closing quotes; that line's white space is the indentation removed from every other line.
     * Lines that hold only white space become empty. Escapes are resolved before the indentation
     * is compared, but only literal white space counts as indentation, so {@code \s} cannot stand in
     * for it.
     */
    private String readMultiLine(int hashes) throws KdlParseException {
        int start = src.position() - hashes;
        boolean raw = hashes > 0;
        String closing = "\"\"\"" + "#".repeat(hashes);
        src.skip(3);
        if (!src.atNewline()) {
            throw src.error("expected a newline after the opening \"\"\" of a multi-line string;"
                    + " a single-line string uses one '\"'");
        }
        src.skipNewline();
        List<Line> lines = new ArrayList<>();
        Line current = new Line(src.position());
        while (!src.lookingAt(closing)) {
            if (src.atEnd()) {
                throw src.errorAt(start, "unterminated multi-line string: expected '" + closing + "' to close it");
            }
            int cp = src.peek();
            if (src.atNewline()) {
                src.skipNewline();
                lines.add(current);
                current = new Line(src.position());
            } else if (cp == '\\' && !raw) {
                src.skip(1);
                if (!skipWhitespaceEscape()) {
                    current.append(escape(), true);
                }
            } else {
                src.skip(1);
                current.append(cp, false);
            }
        }
        if (!current.isLiteralWhitespace()) {
            throw src.error("the closing " + closing + " of a multi-line string must be on its own line,"
                    + " after nothing but white space");
        }
        src.skip(closing.length());
        return dedent(lines, current.text.toString());
    }

    private String dedent(List<Line> lines, String indent) throws KdlParseException {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            Line line = lines.get(i);
            if (i > 0) {
                out.append('\n');
            }
            if (line.isLiteralWhitespace()) {
                continue;
            }
            if (!line.startsWithLiteral(indent)) {
                throw src.errorAt(line.start, "every line of a multi-line string must start with the"
                        + " indentation of its closing line (" + describeIndent(indent) + ")");
            }
            out.append(line.text, indent.length(), line.text.length());
        }
        return out.toString();
    }

    private static String describeIndent(String indent) {
        if (indent.isEmpty()) {
            return "none";
        }
        StringBuilder out = new StringBuilder();
        indent.codePoints().forEach(cp -> out.append(out.isEmpty() ? "" : " ").append(
                cp == ' ' ? "space" : cp == '\t' ? "tab" : String.format("U+%04X", cp)));
        return out.toString();
    }

    /** One line of a multi-line string, remembering which characters came from escapes. */
    private static final class Line {
        final int start;
        final StringBuilder text = new StringBuilder();
        final BitSet escaped = new BitSet();

        Line(int start) {
            this.start = start;
        }

        void append(int cp, boolean fromEscape) {
            if (fromEscape) {
                escaped.set(text.length(), text.length() + Character.charCount(cp));
            }
            text.appendCodePoint(cp);
        }

        boolean isLiteralWhitespace() {
            return escaped.isEmpty() && text.codePoints().allMatch(KdlVersion::isUnicodeSpace);
        }

        boolean startsWithLiteral(String prefix) {
            if (text.length() < prefix.length() || !text.substring(0, prefix.length()).equals(prefix)) {
                return false;
            }
            int firstEscaped = escaped.nextSetBit(0);
            return firstEscaped < 0 || firstEscaped >= prefix.length();
        }
    }
}
