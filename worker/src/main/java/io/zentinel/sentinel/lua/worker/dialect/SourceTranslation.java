package io.zentinel.sentinel.lua.worker.dialect;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Turns Lua 5.4 source into source that LuaJ (Lua 5.2) compiles to the same behaviour, keeping
 * every token on its line so that LuaJ's error positions are the author's.
 *
 * <p>Source that uses none of Lua 5.4's additions comes back as the very same array, so such a
 * script compiles exactly as before. Source whose translation calls the operator functions is
 * wrapped as {@code local __lua54 return function(...) <source> end} (the prefix on the first
 * line, {@code end} after the last token): the function is the chunk that runs, and
 * {@code __lua54} is an upvalue that only the compiler sets, out of reach of the script.
 */
final class SourceTranslation {
    static final String WRAPPER_PREFIX = "local " + Lua54Operators.UPVALUE + " return function(...) ";

    private static final Set<String> LUA54_SYMBOLS = Set.of("//", "&", "|", "~", "<<", ">>");

    /**
     * @param source  what LuaC compiles
     * @param wrapped whether it is wrapped (the script's chunk is then the main chunk's only
     *                nested function)
     */
    record Result(byte[] source, boolean wrapped) {
    }

    private SourceTranslation() {
    }

    /**
     * The translation of {@code source}.
     *
     * @throws DialectException where the source uses Lua 5.4 that cannot be supported, or has
     *     a syntax error and uses some Lua 5.4 addition (for other sources, LuaC reports syntax
     *     errors in its own words, as it always has)
     */
    static Result translate(byte[] source) {
        SourceEdits edits = new SourceEdits();
        LuaLexer lexer = new LuaLexer(source, edits);
        List<Token> tokens;
        try {
            tokens = lexer.run();
        } catch (DialectException e) {
            if (mentionsLua54(lexer.tokens()) || lexer.utf8Escapes()) {
                throw e;
            }
            return new Result(source, false);
        }
        boolean lua54 = mentionsLua54(tokens) || lexer.utf8Escapes();
        if (!lua54 && !hasWrappedHexInteger(tokens)) {
            return new Result(source, false);
        }
        boolean operators;
        try {
            operators = new Lua54Parser(source, tokens, edits).chunk();
        } catch (DialectException e) {
            if (lua54 || !e.syntax()) {
                throw e;
            }
            return new Result(source, false);
        }
        if (edits.isEmpty()) {
            return new Result(source, false);
        }
        if (operators) {
            for (Token t : tokens) {
                if (t.kind() == Token.Kind.NAME && t.text().equals(Lua54Operators.UPVALUE)) {
                    throw DialectException.rejected(t.line(), "the name '" + Lua54Operators.UPVALUE
                            + "' is reserved for the translation of Lua 5.4 operators");
                }
            }
            edits.prefix(afterShebang(source), WRAPPER_PREFIX);
            edits.suffix(source.length, lexer.endsInLineComment() ? "\nend" : " end");
        }
        return new Result(edits.apply(source), operators);
    }

    /** Whether the tokens hold a Lua 5.4 operator or something that looks like a local's attribute. */
    private static boolean mentionsLua54(List<Token> tokens) {
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.kind() != Token.Kind.SYMBOL) {
                continue;
            }
            if (LUA54_SYMBOLS.contains(t.text())) {
                return true;
            }
            if (t.text().equals("<") && attribute(tokens, i)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the {@code <} at {@code i} opens a local's attribute: it follows {@code local name}
     * (never valid Lua 5.2), or it reads {@code <const>} or {@code <close>}.
     */
    private static boolean attribute(List<Token> tokens, int i) {
        if (i >= 2 && tokens.get(i - 1).kind() == Token.Kind.NAME && tokens.get(i - 2).is("local")) {
            return true;
        }
        if (i + 2 >= tokens.size() || !tokens.get(i + 2).is(">") || tokens.get(i + 1).kind() != Token.Kind.NAME) {
            return false;
        }
        String name = tokens.get(i + 1).text();
        return name.equals("const") || name.equals("close");
    }

    private static boolean hasWrappedHexInteger(List<Token> tokens) {
        for (Token t : tokens) {
            if (t.kind() == Token.Kind.NUMBER && Numerals.wrappedHexInteger(t.text()) != null) {
                return true;
            }
        }
        return false;
    }

    /** Where the code starts: 0, or the start of the second line when the first is a {@code #} line. */
    private static int afterShebang(byte[] source) {
        if (source.length == 0 || source[0] != '#') {
            return 0;
        }
        int i = 0;
        while (i < source.length && source[i] != '\n' && source[i] != '\r') {
            i++;
        }
        if (i < source.length) {
            byte first = source[i++];
            if (i < source.length && (source[i] == '\n' || source[i] == '\r') && source[i] != first) {
                i++;
            }
        }
        return i;
    }

    /** The translation of UTF-8 text; for tests and tools. */
    static String translate(String source) {
        Result r = translate(source.getBytes(StandardCharsets.UTF_8));
        return new String(r.source(), StandardCharsets.UTF_8);
    }
}
