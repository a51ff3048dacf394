package io.zentinel.sentinel.lua.worker.dialect;

/**
 * The binary operators of Lua 5.4 with their priorities from {@code lparser.c} (left and right:
 * a right priority below the left makes the operator right-associative, as {@code ..} and
 * {@code ^}), and, for those LuaJ lacks, the name of the {@link Lua54Operators} function that
 * stands for it.
 */
enum BinaryOperator {
    OR("or", 1, 1, null), AND("and", 2, 2, null),
    LT("<", 3, 3, null), GT(">", 3, 3, null), LE("<=", 3, 3, null), GE(">=", 3, 3, null),
    NE("~=", 3, 3, null), EQ("==", 3, 3, null),
    BOR("|", 4, 4, "bor"), BXOR("~", 5, 5, "bxor"), BAND("&", 6, 6, "band"),
    SHL("<<", 7, 7, "shl"), SHR(">>", 7, 7, "shr"),
    CONCAT("..", 9, 8, null),
    ADD("+", 10, 10, null), SUB("-", 10, 10, null),
    MUL("*", 11, 11, null), MOD("%", 11, 11, null), DIV("/", 11, 11, null), IDIV("//", 11, 11, "idiv"),
    POW("^", 14, 13, null);

    final String symbol;
    final int left;
    final int right;
    final String helper;

    BinaryOperator(String symbol, int left, int right, String helper) {
        this.symbol = symbol;
        this.left = left;
        this.right = right;
        this.helper = helper;
    }

    static BinaryOperator of(Token t) {
        if (t.kind() != Token.Kind.SYMBOL && t.kind() != Token.Kind.KEYWORD) {
            return null;
        }
        for (BinaryOperator op : values()) {
            if (op.symbol.equals(t.text())) {
                return op;
            }
        }
        return null;
    }
}
