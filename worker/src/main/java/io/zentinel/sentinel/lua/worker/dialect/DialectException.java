package io.zentinel.sentinel.lua.worker.dialect;

/**
 * Why a source cannot be translated: a position (the 1-based line) and a reason in Lua's words,
 * such as {@code unexpected symbol near '//'} or
 * {@code to-be-closed variables (<close>) are not supported}.
 *
 * <p>A {@linkplain #syntax() syntax} error means the source is not valid Lua 5.4 as the
 * translator reads it; the caller may leave the verdict to LuaC for sources that use no Lua 5.4
 * feature. Any other error is final: the source uses a Lua 5.4 feature wrongly or one that is not
 * supported.
 */
public final class DialectException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int line;
    private final String reason;
    private final boolean syntax;

    private DialectException(int line, String reason, boolean syntax) {
        super(line + ": " + reason, null, false, false);
        this.line = line;
        this.reason = reason;
        this.syntax = syntax;
    }

    static DialectException syntax(int line, String reason) {
        return new DialectException(line, reason, true);
    }

    static DialectException rejected(int line, String reason) {
        return new DialectException(line, reason, false);
    }

    public int line() {
        return line;
    }

    public String reason() {
        return reason;
    }

    public boolean syntax() {
        return syntax;
    }
}
