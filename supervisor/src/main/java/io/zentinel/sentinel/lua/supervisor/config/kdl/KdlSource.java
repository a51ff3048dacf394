package io.zentinel.sentinel.lua.supervisor.config.kdl;

/**
 * The text being parsed, as code points, with a read position, error construction, and the
 * white-space and comment rules of one {@link KdlVersion}. Line and column are computed only
 * when an error is built, so the hot path is a plain array walk.
 */
final class KdlSource {

    static final int EOF = -1;

    private final int[] cps;
    private final KdlVersion version;
    private int pos;

    KdlSource(String text, KdlVersion version) {
        this.cps = text.codePoints().toArray();
        this.version = version;
    }

    KdlVersion version() {
        return version;
    }

    int position() {
        return pos;
    }

    void reset(int position) {
        pos = position;
    }

    boolean atEnd() {
        return pos >= cps.length;
    }

    int peek() {
        return peek(0);
    }

    int peek(int ahead) {
        int at = pos + ahead;
        return at < cps.length ? cps[at] : EOF;
    }

    int next() {
        return pos < cps.length ? cps[pos++] : EOF;
    }

    void skip(int count) {
        pos = Math.min(cps.length, pos + count);
    }

    /** Whether the text at the position starts with {@code ascii}. */
    boolean lookingAt(String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (peek(i) != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Index of the first code point at or after {@code from} that v2 forbids in a document, or -1. */
    int firstDisallowedLiteral(int from) {
        for (int i = from; i < cps.length; i++) {
            if (KdlVersion.isDisallowedLiteral(cps[i])) {
                return i;
            }
        }
        return -1;
    }

    String text(int from, int to) {
        return new String(cps, from, to - from);
    }

    // ---------------------------------------------------------------- errors

    KdlParseException error(String reason) {
        return errorAt(pos, reason);
    }

    KdlParseException errorAt(int at, String reason) {
        int line = 1;
        int column = 1;
        for (int i = 0; i < at && i < cps.length; i++) {
            int cp = cps[i];
            if (cp == '\r' && i + 1 < cps.length && cps[i + 1] == '\n') {
                continue; // CRLF is one newline: count it at the LF
            }
            if (version.isNewline(cp)) {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new KdlParseException(line, column, at, reason);
    }

    /** An error saying what was expected and what is at the position instead. */
    KdlParseException expected(String what) {
        return error("expected " + what + ", found " + describe(peek()));
    }

    String describe(int cp) {
        if (cp == EOF) {
            return "end of input";
        }
        if (version.isNewline(cp)) {
            return "a newline";
        }
        if (cp == ' ') {
            return "' '";
        }
        if (cp == '\t') {
            return "a tab";
        }
        if (cp < 0x20 || cp == 0x7F || KdlVersion.isUnicodeSpace(cp) || KdlVersion.isDisallowedLiteral(cp)) {
            return String.format("U+%04X", cp);
        }
        return "'" + Character.toString(cp) + "'";
    }

    /** Where {@code at} is, as {@code line:column}, for messages that point back to an opening. */
    String where(int at) {
        KdlParseException located = errorAt(at, "");
        return located.line() + ":" + located.column();
    }

    // ---------------------------------------------------------------- white space and comments

    boolean atNewline() {
        return version.isNewline(peek());
    }

    /** Consumes one newline; CRLF counts as one. */
    void skipNewline() {
        if (next() == '\r' && peek() == '\n') {
            pos++;
        }
    }

    /** Consumes a newline (CRLF as one) or else one code point. */
    void skipNewlineOrChar() {
        if (atNewline()) {
            skipNewline();
        } else {
            pos++;
        }
    }

    boolean atSingleLineComment() {
        return lookingAt("//");
    }

    /** Consumes {@code //} up to and including the newline that ends it (or the end of input). */
    void skipSingleLineComment() {
        pos += 2;
        while (!atEnd() && !atNewline()) {
            pos++;
        }
        if (!atEnd()) {
            skipNewline();
        }
    }

    /**
     * Consumes a possibly nested {@code /* ... *}{@code /} comment. Iterative, with a depth
     * counter, so that deep nesting in hostile input cannot overflow the stack.
     */
    void skipMultiLineComment() throws KdlParseException {
        int start = pos;
        pos += 2;
        int depth = 1;
        while (depth > 0) {
            if (atEnd()) {
                throw errorAt(start, "unterminated comment: '/*' has no matching '*/'");
            }
            if (lookingAt("/*")) {
                depth++;
                pos += 2;
            } else if (lookingAt("*/")) {
                depth--;
                pos += 2;
            } else {
                pos++;
            }
        }
    }

    /** {@code ws*}: white space and multi-line comments. Returns whether anything was consumed. */
    boolean skipWs() throws KdlParseException {
        int start = pos;
        while (true) {
            if (version.isSpace(peek())) {
                pos++;
            } else if (lookingAt("/*")) {
                skipMultiLineComment();
            } else {
                return pos > start;
            }
        }
    }

    /**
     * A line continuation: {@code \}, white space, then a newline or a single-line comment (or,
     * in v2, the end of input). The caller has checked that the position is at {@code \}.
     */
    void skipEscline() throws KdlParseException {
        int start = pos;
        pos++;
        skipWs();
        if (atSingleLineComment()) {
            skipSingleLineComment();
        } else if (atNewline()) {
            skipNewline();
        } else if (!(atEnd() && version == KdlVersion.V2)) {
            throw errorAt(start, "expected a newline after the line continuation '\\', found " + describe(peek()));
        }
    }

    /** {@code node-space*}: white space, comments and line continuations within a node. */
    boolean skipNodeSpace() throws KdlParseException {
        int start = pos;
        while (true) {
            skipWs();
            if (peek() != '\\') {
                return pos > start;
            }
            skipEscline();
        }
    }

    /**
     * {@code line-space*}: everything allowed between nodes. In v1 that is white space, newlines
     * and comments; v2 adds line continuations.
     */
    void skipLineSpace() throws KdlParseException {
        while (true) {
            if (atNewline()) {
                skipNewline();
            } else if (atSingleLineComment()) {
                skipSingleLineComment();
            } else if (version == KdlVersion.V2 ? !skipNodeSpace() : !skipWs()) {
                return;
            }
        }
    }
}
