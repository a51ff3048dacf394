package io.zentinel.sentinel.lua.worker.dialect;

import java.util.List;

/**
 * The parser's position in the token list, with Lua 5.4's ways of expecting tokens and its
 * syntax error messages ({@code 'end' expected (to close 'if' at line 3) near '<eof>'}), and the
 * bound on nesting.
 */
final class TokenCursor {
    private final byte[] src;
    private final List<Token> tokens;
    private int p;
    private int depth;

    TokenCursor(byte[] src, List<Token> tokens) {
        this.src = src;
        this.tokens = tokens;
    }

    Token cur() {
        return tokens.get(p);
    }

    Token peek() {
        return tokens.get(Math.min(p + 1, tokens.size() - 1));
    }

    Token at(int index) {
        return tokens.get(index);
    }

    /** The index of the current token. */
    int position() {
        return p;
    }

    void next() {
        if (p < tokens.size() - 1) {
            p++;
        }
    }

    boolean testNext(String s) {
        if (cur().is(s)) {
            next();
            return true;
        }
        return false;
    }

    void checkNext(String s) {
        if (!testNext(s)) {
            throw expected(s);
        }
    }

    /** {@code what} closes {@code who} opened on {@code line}. */
    void checkMatch(String what, String who, int line) {
        if (testNext(what)) {
            return;
        }
        if (line == cur().line()) {
            throw expected(what);
        }
        throw syntax("'" + what + "' expected (to close '" + who + "' at line " + line + ")");
    }

    String checkName() {
        Token t = cur();
        if (t.kind() != Token.Kind.NAME) {
            throw expected("<name>");
        }
        next();
        return t.text();
    }

    DialectException expected(String what) {
        return syntax((what.startsWith("<") ? what : "'" + what + "'") + " expected");
    }

    /** A syntax error at the current token: {@code message near 'token'}. */
    DialectException syntax(String message) {
        Token t = cur();
        String near = switch (t.kind()) {
            case EOF -> "<eof>";
            case STRING -> t.raw(src);
            case SYMBOL -> t.text().length() == 1 && (t.text().charAt(0) < 32 || t.text().charAt(0) > 126)
                    ? "<\\" + (int) t.text().charAt(0) + ">" : t.text();
            default -> t.text();
        };
        return DialectException.syntax(t.line(), message + " near '" + near + "'");
    }

    /** One level deeper into nested expressions and statements; at most {@code maxDepth}. */
    void enter(int maxDepth) {
        if (++depth > maxDepth) {
            throw DialectException.syntax(cur().line(), "chunk has too many syntax levels");
        }
    }

    void leave() {
        depth--;
    }
}
