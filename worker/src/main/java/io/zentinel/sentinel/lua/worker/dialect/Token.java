package io.zentinel.sentinel.lua.worker.dialect;

/**
 * One token of Lua source.
 *
 * @param kind  what it is
 * @param text  the token's text for names, keywords, numerals and symbols; {@code null} for strings
 *              (see {@link #raw(byte[])})
 * @param start offset of its first byte in the source
 * @param end   offset just past its last byte
 * @param line  the line it starts on, counted as Lua counts ({@code \n}, {@code \r}, {@code \r\n}
 *              and {@code \n\r} each end one line)
 */
record Token(Kind kind, String text, int start, int end, int line) {

    enum Kind {
        NAME, KEYWORD, NUMBER, STRING, SYMBOL, EOF
    }

    /** Whether this is the symbol or keyword {@code s}. */
    boolean is(String s) {
        return (kind == Kind.SYMBOL || kind == Kind.KEYWORD) && text.equals(s);
    }

    /** The token as it is written in {@code source}, for messages. */
    String raw(byte[] source) {
        return new String(source, start, end - start, java.nio.charset.StandardCharsets.UTF_8);
    }
}
