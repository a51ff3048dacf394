package io.zentinel.sentinel.lua.worker.dialect;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Splits Lua 5.4 source into {@link Token}s, after Lua 5.4's {@code llex.c}: long strings and
 * comments ({@code [==[ ... ]==]}), every escape of short strings ({@code \z}, {@code \x},
 * {@code \ddd}, <code>&#92;u{XXX}</code>), decimal and hexadecimal numerals, and the operators of Lua 5.4
 * ({@code //}, {@code &}, {@code |}, {@code ~}, {@code <<}, {@code >>}). Comments and white space
 * are skipped. A first line starting with {@code #} is skipped as LuaC does.
 *
 * <p>LuaJ reads <code>"&#92;u{48}"</code> as {@code "u{48}"}; each <code>&#92;u{XXX}</code> escape is therefore
 * rewritten into decimal escapes of its UTF-8 bytes ({@link #escapes}), which both dialects read
 * the same way.
 *
 * <p>Not thread-safe; one instance lexes one source.
 */
final class LuaLexer {
    static final Set<String> KEYWORDS = Set.of("and", "break", "do", "else", "elseif", "end", "false", "for",
            "function", "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true",
            "until", "while");

    private static final long MAX_UTF8_ESCAPE = 0x7FFFFFFFL;
    private static final int EOZ = -1;

    private final byte[] src;
    private final List<Token> tokens = new ArrayList<>();
    private final SourceEdits escapes;
    private int pos;
    private int line = 1;
    private boolean endsInLineComment;
    private boolean utf8Escapes;

    /** A lexer of {@code src} that records its <code>&#92;u{XXX}</code> rewrites in {@code escapes}. */
    LuaLexer(byte[] src, SourceEdits escapes) {
        this.src = src;
        this.escapes = escapes;
    }

    /**
     * Reads every token, the last one of kind {@link Token.Kind#EOF}.
     *
     * @throws DialectException a syntax error; {@link #tokens()} then holds the tokens read so far
     */
    List<Token> run() {
        if (current() == '#') {
            skipLineComment();
        }
        while (true) {
            Token t = next();
            tokens.add(t);
            if (t.kind() == Token.Kind.EOF) {
                return tokens;
            }
        }
    }

    /** The tokens read so far. */
    List<Token> tokens() {
        return tokens;
    }

    /** Whether a <code>&#92;u{</code> escape (Lua 5.3 and later) was read, well-formed or not. */
    boolean utf8Escapes() {
        return utf8Escapes;
    }

    /** Whether the source ends inside a comment that only a line break would end. */
    boolean endsInLineComment() {
        return endsInLineComment;
    }

    private int current() {
        return pos < src.length ? src[pos] & 0xFF : EOZ;
    }

    private int at(int offset) {
        return pos + offset < src.length ? src[pos + offset] & 0xFF : EOZ;
    }

    private static boolean newline(int c) {
        return c == '\n' || c == '\r';
    }

    private static boolean space(int c) {
        return c == ' ' || c == '\t' || c == '\f' || c == 0x0B || newline(c);
    }

    private static boolean alpha(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean digit(int c) {
        return c >= '0' && c <= '9';
    }

    private static boolean hexDigit(int c) {
        return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** Skips one line break ({@code \n}, {@code \r}, {@code \r\n} or {@code \n\r}) and counts it. */
    private void lineBreak() {
        int first = current();
        pos++;
        if (newline(current()) && current() != first) {
            pos++;
        }
        line++;
    }

    private DialectException error(String message, int from) {
        String near = new String(src, from, Math.min(pos, src.length) - from, java.nio.charset.StandardCharsets.UTF_8);
        return DialectException.syntax(line, message + " near '" + near + "'");
    }

    private Token next() {
        while (true) {
            int c = current();
            int start = pos;
            int startLine = line;
            switch (c) {
                case EOZ:
                    return new Token(Token.Kind.EOF, "<eof>", pos, pos, line);
                case '\n', '\r':
                    lineBreak();
                    continue;
                case ' ', '\t', '\f', 0x0B:
                    pos++;
                    continue;
                case '-':
                    if (at(1) != '-') {
                        return symbol(1);
                    }
                    pos += 2;
                    if (current() == '[') {
                        int level = longBracketLevel();
                        if (level >= 0) {
                            longBracket(level, start, "comment");
                            continue;
                        }
                    }
                    skipLineComment();
                    continue;
                case '[': {
                    int level = longBracketLevel();
                    if (level >= 0) {
                        longBracket(level, start, "string");
                        return new Token(Token.Kind.STRING, null, start, pos, startLine);
                    }
                    if (level == -2) {
                        pos++;
                        while (current() == '=') {
                            pos++;
                        }
                        throw error("invalid long string delimiter", start);
                    }
                    return symbol(1);
                }
                case '=':
                    return symbol(at(1) == '=' ? 2 : 1);
                case '<':
                    return symbol(at(1) == '=' || at(1) == '<' ? 2 : 1);
                case '>':
                    return symbol(at(1) == '=' || at(1) == '>' ? 2 : 1);
                case '/':
                    return symbol(at(1) == '/' ? 2 : 1);
                case '~':
                    return symbol(at(1) == '=' ? 2 : 1);
                case ':':
                    return symbol(at(1) == ':' ? 2 : 1);
                case '"', '\'':
                    shortString(c);
                    return new Token(Token.Kind.STRING, null, start, pos, startLine);
                case '.':
                    if (at(1) == '.') {
                        return symbol(at(2) == '.' ? 3 : 2);
                    }
                    if (!digit(at(1))) {
                        return symbol(1);
                    }
                    return numeral();
                default:
                    if (digit(c)) {
                        return numeral();
                    }
                    if (alpha(c)) {
                        while (alpha(current()) || digit(current())) {
                            pos++;
                        }
                        String word = new String(src, start, pos - start, java.nio.charset.StandardCharsets.ISO_8859_1);
                        Token.Kind kind = KEYWORDS.contains(word) ? Token.Kind.KEYWORD : Token.Kind.NAME;
                        return new Token(kind, word, start, pos, startLine);
                    }
                    return symbol(1);
            }
        }
    }

    private Token symbol(int length) {
        int start = pos;
        pos += length;
        String text = new String(src, start, length, java.nio.charset.StandardCharsets.ISO_8859_1);
        return new Token(Token.Kind.SYMBOL, text, start, pos, line);
    }

    private void skipLineComment() {
        while (current() != EOZ && !newline(current())) {
            pos++;
        }
        endsInLineComment = current() == EOZ;
    }

    /**
     * At a {@code [}: the level of the long bracket that opens here ({@code [[} is 0,
     * {@code [==[} is 2), -1 when it is a plain {@code [}, -2 when {@code [=} is not followed
     * by {@code [}. Does not move.
     */
    private int longBracketLevel() {
        int i = 1;
        while (at(i) == '=') {
            i++;
        }
        if (at(i) == '[') {
            return i - 1;
        }
        return i == 1 ? -1 : -2;
    }

    /** Skips a long string or comment of {@code level} that opens at the current {@code [}. */
    private void longBracket(int level, int start, String what) {
        int startLine = line;
        pos += level + 2;
        while (true) {
            int c = current();
            if (c == EOZ) {
                throw DialectException.syntax(line, "unfinished long " + what + " (starting at line " + startLine
                        + ") near '<eof>'");
            }
            if (c == ']') {
                int i = 1;
                while (at(i) == '=') {
                    i++;
                }
                if (i - 1 == level && at(i) == ']') {
                    pos += level + 2;
                    return;
                }
                pos++;
            } else if (newline(c)) {
                lineBreak();
            } else {
                pos++;
            }
        }
    }

    private void shortString(int delimiter) {
        int start = pos;
        pos++;
        while (current() != delimiter) {
            int c = current();
            if (c == EOZ || newline(c)) {
                throw error("unfinished string", start);
            }
            if (c == '\\') {
                escape(start);
            } else {
                pos++;
            }
        }
        pos++;
    }

    private void escape(int stringStart) {
        int escapeStart = pos;
        pos++;
        int c = current();
        switch (c) {
            case 'a', 'b', 'f', 'n', 'r', 't', 'v', '\\', '"', '\'':
                pos++;
                return;
            case '\n', '\r':
                lineBreak();
                return;
            case 'x':
                pos++;
                for (int i = 0; i < 2; i++) {
                    if (!hexDigit(current())) {
                        pos = Math.min(pos + 1, src.length);
                        throw error("hexadecimal digit expected", stringStart);
                    }
                    pos++;
                }
                return;
            case 'z':
                pos++;
                while (space(current())) {
                    if (newline(current())) {
                        lineBreak();
                    } else {
                        pos++;
                    }
                }
                return;
            case 'u':
                utf8Escape(escapeStart, stringStart);
                return;
            case EOZ:
                throw error("unfinished string", stringStart);
            default:
                if (!digit(c)) {
                    pos = Math.min(pos + 1, src.length);
                    throw error("invalid escape sequence", stringStart);
                }
                int value = 0;
                for (int i = 0; i < 3 && digit(current()); i++) {
                    value = value * 10 + current() - '0';
                    pos++;
                }
                if (value > 255) {
                    throw error("decimal escape too large", stringStart);
                }
        }
    }

    /** <code>&#92;u{XXX}</code>: checked as Lua 5.4 does and rewritten into {@code \ddd} escapes of its UTF-8 bytes. */
    private void utf8Escape(int escapeStart, int stringStart) {
        pos++;
        if (current() != '{') {
            pos = Math.min(pos + 1, src.length);
            throw error("missing '{' in \\u{xxxx}", stringStart);
        }
        pos++;
        utf8Escapes = true;
        if (!hexDigit(current())) {
            pos = Math.min(pos + 1, src.length);
            throw error("hexadecimal digit expected", stringStart);
        }
        long value = 0;
        while (hexDigit(current())) {
            value = value * 16 + Character.digit(current(), 16);
            pos++;
            if (value > MAX_UTF8_ESCAPE) {
                throw error("UTF-8 value too large", stringStart);
            }
        }
        if (current() != '}') {
            pos = Math.min(pos + 1, src.length);
            throw error("missing '}' in \\u{xxxx}", stringStart);
        }
        pos++;
        StringBuilder decimal = new StringBuilder();
        for (byte b : utf8(value)) {
            decimal.append('\\').append(String.format("%03d", b & 0xFF));
        }
        escapes.replaceInString(escapeStart, pos, decimal.toString());
    }

    /** Lua 5.4's {@code luaO_utf8esc}: up to six bytes, for values up to 0x7FFFFFFF. */
    static byte[] utf8(long x) {
        if (x < 0x80) {
            return new byte[] {(byte) x};
        }
        byte[] buffer = new byte[8];
        int n = 1;
        long mfb = 0x3f;
        do {
            buffer[8 - n++] = (byte) (0x80 | (x & 0x3f));
            x >>= 6;
            mfb >>= 1;
        } while (x > mfb);
        buffer[8 - n] = (byte) ((~mfb << 1) | x);
        return java.util.Arrays.copyOfRange(buffer, 8 - n, 8);
    }

    /** Reads a numeral as {@code read_numeral} does, then checks its syntax. */
    private Token numeral() {
        int start = pos;
        String exponent = "Ee";
        if (current() == '0' && (at(1) == 'x' || at(1) == 'X')) {
            pos += 2;
            exponent = "Pp";
        }
        while (true) {
            int c = current();
            if (c != EOZ && exponent.indexOf(c) >= 0) {
                pos++;
                if (current() == '+' || current() == '-') {
                    pos++;
                }
            } else if (hexDigit(c) || c == '.') {
                pos++;
            } else {
                break;
            }
        }
        if (alpha(current())) {
            pos++;
        }
        String text = new String(src, start, pos - start, java.nio.charset.StandardCharsets.ISO_8859_1);
        if (!Numerals.valid(text)) {
            throw error("malformed number", start);
        }
        return new Token(Token.Kind.NUMBER, text, start, pos, line);
    }
}
