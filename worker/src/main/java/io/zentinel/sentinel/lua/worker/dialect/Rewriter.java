package io.zentinel.sentinel.lua.worker.dialect;

import java.util.List;

/**
 * How each Lua 5.4 construct the parser finds is written in the Lua 5.2 that LuaJ compiles,
 * recorded in {@link SourceEdits}:
 * <ul>
 * <li>{@code a // b} becomes {@code (__lua54.idiv(a, b))}, and so on for {@code & | ~ << >>};
 *     {@code //} with a float numeral operand ({@code 1.0}, {@code -2e0}) calls {@code fidiv};</li>
 * <li>{@code ~a} becomes {@code (__lua54.bnot(a))};</li>
 * <li>a {@code <const>} attribute is removed;</li>
 * <li>a hexadecimal integer of 2^63 or more becomes the value Lua 5.4 wraps it to.</li>
 * </ul>
 * The outer parentheses keep {@code return a // b} from being a tail call, after which LuaJ
 * would report an error without its position. Only the operator token is replaced and the rest
 * is inserted at token boundaries, so every token stays on its line.
 */
final class Rewriter {
    private static final String CALL = "(" + Lua54Operators.UPVALUE + ".";

    private final List<Token> tokens;
    private final SourceEdits edits;
    private boolean usesOperators;

    Rewriter(List<Token> tokens, SourceEdits edits) {
        this.tokens = tokens;
        this.edits = edits;
    }

    /** Whether anything written so far calls the operator functions. */
    boolean usesOperators() {
        return usesOperators;
    }

    /** The binary operation of tokens {@code first..last} whose operator is token {@code operator}. */
    void binary(BinaryOperator op, int first, int operator, int last) {
        if (op.helper == null) {
            return;
        }
        String helper = op == BinaryOperator.IDIV
                && (floatNumeral(first, operator - 1) || floatNumeral(operator + 1, last)) ? "fidiv" : op.helper;
        edits.prefix(tokens.get(first).start(), CALL + helper + "(");
        edits.replace(tokens.get(operator).start(), tokens.get(operator).end(), ",");
        edits.suffix(tokens.get(last).end(), "))");
        usesOperators = true;
    }

    /** The unary operation of tokens {@code first..last} whose operator is token {@code first}. */
    void unary(int first, int last) {
        Token operator = tokens.get(first);
        if (!operator.is("~")) {
            return;
        }
        edits.replace(operator.start(), operator.end(), CALL + "bnot(");
        edits.suffix(tokens.get(last).end(), "))");
        usesOperators = true;
    }

    /** A numeral used as a value. */
    void numeral(Token numeral) {
        String wrapped = Numerals.wrappedHexInteger(numeral.text());
        if (wrapped != null) {
            edits.replace(numeral.start(), numeral.end(), wrapped);
        }
    }

    /** The {@code <const>} attribute from token {@code open} to token {@code close}. */
    void constAttribute(Token open, Token close) {
        edits.replace(open.start(), close.end(), "");
    }

    /** Whether tokens {@code first..last} are a float numeral, possibly negated. */
    private boolean floatNumeral(int first, int last) {
        if (last == first + 1 && tokens.get(first).is("-")) {
            first++;
        }
        Token t = tokens.get(first);
        return first == last && t.kind() == Token.Kind.NUMBER && Numerals.isFloat(t.text());
    }
}
