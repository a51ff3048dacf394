package io.zentinel.sentinel.lua.worker.dialect;

import java.util.ArrayList;
import java.util.List;

/**
 * A recursive-descent parser of Lua 5.4 chunks, after {@code lparser.c}: it checks the syntax
 * of the whole chunk, delimits operands with Lua 5.4's operator precedence, and hands each Lua
 * 5.4 construct to the {@link Rewriter}. It drops a {@code <const>} attribute only once no
 * assignment to the name is found, and rejects {@code <close>} and unknown attributes. LuaC
 * therefore only ever sees translated source that is valid Lua 5.2.
 *
 * <p>Not thread-safe; one instance parses one chunk.
 */
final class Lua54Parser {
    /** Most nested expressions and blocks, as Lua's own limit of C levels. */
    static final int MAX_DEPTH = 200;
    private static final int UNARY_PRIORITY = 12;

    /** What a suffixed expression turned out to be: what may be assigned to, what may be a statement. */
    private enum Shape {
        NAME, INDEXED, CALL, PARENTHESIZED
    }

    private final TokenCursor in;
    private final Rewriter rewriter;
    private final LocalScopes scopes = new LocalScopes();

    Lua54Parser(byte[] src, List<Token> tokens, SourceEdits edits) {
        this.in = new TokenCursor(src, tokens);
        this.rewriter = new Rewriter(tokens, edits);
    }

    /**
     * Parses the whole chunk.
     *
     * @return whether the translation calls the operator functions ({@code __lua54.*})
     * @throws DialectException a syntax error, or Lua 5.4 that cannot be supported
     */
    boolean chunk() {
        scopes.openFunction(true);
        block();
        if (in.cur().kind() != Token.Kind.EOF) {
            throw in.expected("<eof>");
        }
        scopes.closeFunction();
        return rewriter.usesOperators();
    }

    // ------------------------------------------------------------------ statements

    private boolean blockFollow(boolean withUntil) {
        Token t = in.cur();
        return t.kind() == Token.Kind.EOF || t.is("else") || t.is("elseif") || t.is("end")
                || (withUntil && t.is("until"));
    }

    private void block() {
        scopes.openBlock();
        statements();
        scopes.closeBlock();
    }

    private void statements() {
        while (!blockFollow(true)) {
            if (in.cur().is("return")) {
                returnStatement();
                return;
            }
            statement();
        }
    }

    private void statement() {
        in.enter(MAX_DEPTH);
        Token t = in.cur();
        int line = t.line();
        if (t.is(";")) {
            in.next();
        } else if (t.is("if")) {
            ifStatement(line);
        } else if (t.is("while")) {
            in.next();
            expr();
            in.checkNext("do");
            block();
            in.checkMatch("end", "while", line);
        } else if (t.is("do")) {
            in.next();
            block();
            in.checkMatch("end", "do", line);
        } else if (t.is("for")) {
            forStatement(line);
        } else if (t.is("repeat")) {
            in.next();
            scopes.openBlock();
            statements();
            in.checkMatch("until", "repeat", line);
            expr(); // sees the locals of the loop body
            scopes.closeBlock();
        } else if (t.is("function")) {
            in.next();
            functionName();
            body(line);
        } else if (t.is("local")) {
            in.next();
            if (in.testNext("function")) {
                scopes.declare(in.checkName(), false);
                body(line);
            } else {
                localStatement();
            }
        } else if (t.is("::")) {
            in.next();
            in.checkName();
            in.checkNext("::");
        } else if (t.is("break")) {
            in.next();
        } else if (t.is("goto")) {
            in.next();
            in.checkName();
        } else {
            expressionStatement();
        }
        in.leave();
    }

    private void ifStatement(int line) {
        do { // 'if' or 'elseif'
            in.next();
            expr();
            in.checkNext("then");
            block();
        } while (in.cur().is("elseif"));
        if (in.testNext("else")) {
            block();
        }
        in.checkMatch("end", "if", line);
    }

    private void forStatement(int line) {
        in.next();
        List<String> names = new ArrayList<>();
        names.add(in.checkName());
        if (in.testNext("=")) {
            expr();
            in.checkNext(",");
            expr();
            if (in.testNext(",")) {
                expr();
            }
        } else if (in.cur().is(",") || in.cur().is("in")) {
            while (in.testNext(",")) {
                names.add(in.checkName());
            }
            in.checkNext("in");
            expressionList();
        } else {
            throw in.expected("=' or 'in");
        }
        in.checkNext("do");
        scopes.openBlock();
        for (String name : names) {
            scopes.declare(name, false);
        }
        block();
        scopes.closeBlock();
        in.checkMatch("end", "for", line);
    }

    /** {@code function a.b.c:m} (the statement's name); assigning to a {@code <const>} local is an error. */
    private void functionName() {
        Token first = in.cur();
        in.checkName();
        boolean single = true;
        while (in.cur().is(".")) {
            in.next();
            in.checkName();
            single = false;
        }
        if (in.testNext(":")) {
            in.checkName();
            single = false;
        }
        if (single) {
            checkAssignable(first);
        }
    }

    private void localStatement() {
        List<String> names = new ArrayList<>();
        List<Boolean> constants = new ArrayList<>();
        do {
            names.add(in.checkName());
            constants.add(attribute());
        } while (in.testNext(","));
        if (in.testNext("=")) {
            expressionList();
        }
        for (int i = 0; i < names.size(); i++) {
            scopes.declare(names.get(i), constants.get(i));
        }
    }

    /** An optional {@code <name>} after a local's name: whether it makes the local {@code <const>}. */
    private boolean attribute() {
        if (!in.cur().is("<")) {
            return false;
        }
        Token open = in.cur();
        in.next();
        Token name = in.cur();
        String attribute = in.checkName();
        Token close = in.cur();
        in.checkNext(">");
        switch (attribute) {
            case "const" -> {
                rewriter.constAttribute(open, close);
                return true;
            }
            case "close" -> throw DialectException.rejected(open.line(),
                    "to-be-closed variables (<close>) are not supported");
            default -> throw DialectException.rejected(name.line(), "unknown attribute '" + attribute + "'");
        }
    }

    private void returnStatement() {
        in.next();
        if (!blockFollow(true) && !in.cur().is(";")) {
            expressionList();
        }
        in.testNext(";"); // what follows must end the block: the enclosing construct checks that
    }

    private void expressionStatement() {
        Token first = in.cur();
        Shape shape = suffixedExpression();
        if (in.cur().is("=") || in.cur().is(",")) {
            checkTarget(shape, first);
            while (in.testNext(",")) {
                Token target = in.cur();
                checkTarget(suffixedExpression(), target);
            }
            in.checkNext("=");
            expressionList();
        } else if (shape != Shape.CALL) {
            throw in.syntax("syntax error");
        }
    }

    private void checkTarget(Shape shape, Token first) {
        if (shape == Shape.NAME) {
            checkAssignable(first);
        } else if (shape != Shape.INDEXED) {
            throw in.syntax("syntax error");
        }
    }

    private void checkAssignable(Token name) {
        if (scopes.isConst(name.text())) {
            throw DialectException.rejected(name.line(),
                    "attempt to assign to const variable '" + name.text() + "'");
        }
    }

    // ------------------------------------------------------------------ functions

    /** Parameters and body of a function whose {@code function} keyword is on {@code line}. */
    private void body(int line) {
        in.checkNext("(");
        List<String> parameters = new ArrayList<>();
        boolean vararg = false;
        if (!in.cur().is(")")) {
            do {
                if (in.cur().kind() == Token.Kind.NAME) {
                    parameters.add(in.checkName());
                } else if (in.testNext("...")) {
                    vararg = true;
                    break;
                } else {
                    throw in.expected("<name>");
                }
            } while (in.testNext(","));
        }
        in.checkNext(")");
        scopes.openFunction(vararg);
        for (String name : parameters) {
            scopes.declare(name, false);
        }
        statements();
        scopes.closeFunction();
        in.checkMatch("end", "function", line);
    }

    // ------------------------------------------------------------------ expressions

    private void expressionList() {
        expr();
        while (in.testNext(",")) {
            expr();
        }
    }

    private void expr() {
        subexpression(0);
    }

    /** Lua's {@code subexpr}: an expression whose binary operators all bind tighter than {@code limit}. */
    private void subexpression(int limit) {
        in.enter(MAX_DEPTH);
        int first = in.position();
        Token t = in.cur();
        if (t.is("not") || t.is("-") || t.is("#") || t.is("~")) {
            in.next();
            subexpression(UNARY_PRIORITY);
            rewriter.unary(first, in.position() - 1);
        } else {
            simpleExpression();
        }
        BinaryOperator op = BinaryOperator.of(in.cur());
        while (op != null && op.left > limit) {
            int operator = in.position();
            in.next();
            subexpression(op.right);
            rewriter.binary(op, first, operator, in.position() - 1);
            op = BinaryOperator.of(in.cur());
        }
        in.leave();
    }

    private void simpleExpression() {
        Token t = in.cur();
        switch (t.kind()) {
            case NUMBER -> {
                rewriter.numeral(t);
                in.next();
            }
            case STRING -> in.next();
            case KEYWORD -> {
                if (t.is("nil") || t.is("true") || t.is("false")) {
                    in.next();
                } else if (t.is("function")) {
                    in.next();
                    body(t.line());
                } else {
                    suffixedExpression();
                }
            }
            case SYMBOL -> {
                if (t.is("...")) {
                    if (!scopes.vararg()) {
                        throw in.syntax("cannot use '...' outside a vararg function");
                    }
                    in.next();
                } else if (t.is("{")) {
                    table();
                } else {
                    suffixedExpression();
                }
            }
            default -> suffixedExpression();
        }
    }

    private Shape primaryExpression() {
        Token t = in.cur();
        if (t.kind() == Token.Kind.NAME) {
            in.next();
            return Shape.NAME;
        }
        if (t.is("(")) {
            in.next();
            expr();
            in.checkMatch(")", "(", t.line());
            return Shape.PARENTHESIZED;
        }
        throw in.syntax("unexpected symbol");
    }

    private Shape suffixedExpression() {
        Shape shape = primaryExpression();
        while (true) {
            Token t = in.cur();
            if (t.is(".")) {
                in.next();
                in.checkName();
                shape = Shape.INDEXED;
            } else if (t.is("[")) {
                in.next();
                expr();
                in.checkNext("]");
                shape = Shape.INDEXED;
            } else if (t.is(":")) {
                in.next();
                in.checkName();
                arguments();
                shape = Shape.CALL;
            } else if (t.is("(") || t.is("{") || t.kind() == Token.Kind.STRING) {
                arguments();
                shape = Shape.CALL;
            } else {
                return shape;
            }
        }
    }

    private void arguments() {
        Token t = in.cur();
        if (t.kind() == Token.Kind.STRING) {
            in.next();
        } else if (t.is("{")) {
            table();
        } else if (t.is("(")) {
            in.next();
            if (!in.cur().is(")")) {
                expressionList();
            }
            in.checkMatch(")", "(", t.line());
        } else {
            throw in.syntax("function arguments expected");
        }
    }

    private void table() {
        int line = in.cur().line();
        in.checkNext("{");
        while (!in.cur().is("}")) {
            if (in.cur().kind() == Token.Kind.NAME && in.peek().is("=")) {
                in.next();
                in.next();
                expr();
            } else if (in.cur().is("[")) {
                in.next();
                expr();
                in.checkNext("]");
                in.checkNext("=");
                expr();
            } else {
                expr();
            }
            if (!in.testNext(",") && !in.testNext(";")) {
                break;
            }
        }
        in.checkMatch("}", "{", line);
    }
}
