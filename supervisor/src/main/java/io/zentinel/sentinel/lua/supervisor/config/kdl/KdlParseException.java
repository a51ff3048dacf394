package io.zentinel.sentinel.lua.supervisor.config.kdl;

/**
 * A document that is not valid KDL. The message starts with the 1-based {@code line:column} of
 * the problem (columns count Unicode code points) and says what was expected there.
 *
 * <p>Checked, because every caller has a file to name in its own message.
 */
public final class KdlParseException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int line;
    private final int column;
    private final int offset;
    private final String reason;

    KdlParseException(int line, int column, int offset, String reason) {
        super(line + ":" + column + ": " + reason);
        this.line = line;
        this.column = column;
        this.offset = offset;
        this.reason = reason;
    }

    /** 1-based line of the problem. */
    public int line() {
        return line;
    }

    /** 1-based column of the problem, in code points. */
    public int column() {
        return column;
    }

    /** The message without its position. */
    public String reason() {
        return reason;
    }

    /** Code-point offset of the problem; the parser compares offsets when it tried two versions. */
    int offset() {
        return offset;
    }

    KdlParseException withReason(String newReason) {
        return new KdlParseException(line, column, offset, newReason);
    }
}
