package io.zentinel.sentinel.lua.worker.dialect;

import java.util.ArrayList;
import java.util.List;

/**
 * A recursive-descent parser of Lua 5.4 chunks (after {@code lparser.c}) that records, in
 * {@link SourceEdits}, how to say the same in the Lua 5.2 that LuaJ compiles:
 * <ul>
 * <li>{@code a // b}, {@code a & b}, {@code a | b}, {@code a ~ b}, {@code a << b},
 *     {@code a >> b} become {@code (__lua54.idiv(a, b))} and so on, {@code ~a} becomes
 *     {@code (__lua54.bnot(a))}; operands are delimited with Lua 5.4's operator precedence, and
 *     {@code //} with a float numeral for an operand calls {@code fidiv} (float floor division).
 *     The parentheses keep {@code return a // b} from being a tail call, which would lose the
 *     error position in LuaJ;</li>
 * <li>the {@code <const>} attribute is dropped, once no assignment to the name is found;</li>
 * <li>hexadecimal integer numerals of 2^63 and above become the value Lua 5.4 wraps them to.</li>
 * </ul>
 * {@code <close>} and unknown attributes are rejected. The parser checks the syntax of the whole
 * chunk, so LuaC only ever sees translated source that is valid Lua 5.2.
 *
 * <p>Not thread-safe; one instance parses one chunk.
 */
final class Lua54Parser {
    /** Most nested expressions and blocks, as Lua's own limit of C levels. */
    static final int MAX_DEPTH = 200;
    private static final int UNARY_PRIORITY = 12;

    private enum BinaryOperator {
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

    /** What a suffixed expression turned out to be: what may be assigned to, what may be a statement. */
    private enum Shape {
        NAME, INDEXED, CALL, PARENTHESIZED
    }

    private final byte[] src;
    private final List<Token> tokens;
    private final SourceEdits edits;
    private final LocalScopes scopes = new LocalScopes();
    private int p;
    private int depth;
    private boolean usesOperators;

    Lua54Parser(byte[] src, List<Token> tokens, SourceEdits edits) {
        this.src = src;
        this.tokens = tokens;
        this.edits = edits;
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
        if (cur().kind() != Token.Kind.EOF) {
            throw expected("<eof>");
        }
        scopes.closeFunction();
        return usesOperators;
    }

    // ------------------------------------------------------------------ tokens

    private Token cur() {
        return tokens.get(p);
    }

    private Token peek() {
        return tokens.get(Math.min(p + 1, tokens.size() - 1));
    }

    private Token tok(int index) {
        return tokens.get(index);
    }

    private void next() {
        if (p < tokens.size() - 1) {
            p++;
        }
    }

    private boolean testNext(String s) {
        if (cur().is(s)) {
            next();
            return true;
        }
        return false;
    }

    private void checkNext(String s) {
        if (!testNext(s)) {
            throw expected(s);
        }
    }

    /** {@code what} closes {@code who} opened on {@code line}. */
    private void checkMatch(String what, String who, int line) {
        if (testNext(what)) {
            return;
        }
        if (line == cur().line()) {
            throw expected(what);
        }
        throw syntax("'" + what + "' expected (to close '" + who + "' at line " + line + ")");
    }

    private String checkName() {
        Token t = cur();
        if (t.kind() != Token.Kind.NAME) {
            throw expected("<name>");
        }
        next();
        return t.text();
    }

    private DialectException expected(String what) {
        return syntax((what.startsWith("<") ? what : "'" + what + "'") + " expected");
    }

    private DialectException syntax(String message) {
        Token t = cur();
        String near = switch (t.kind()) {
            case EOF -> "<eof>";
            case STRING -> t.raw(src);
            default -> t.text();
        };
        return DialectException.syntax(t.line(), message + " near '" + near + "'");
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw DialectException.syntax(cur().line(), "chunk has too many syntax levels");
        }
    }

    private void leave() {
        depth--;
    }

    // ------------------------------------------------------------------ statements

    private boolean blockFollow(boolean withUntil) {
        Token t = cur();
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
            if (cur().is("return")) {
                returnStatement();
                return;
            }
            statement();
        }
    }

    private void statement() {
        enter();
        Token t = cur();
        int line = t.line();
        if (t.is(";")) {
            next();
        } else if (t.is("if")) {
            ifStatement(line);
        } else if (t.is("while")) {
            next();
            expr();
            checkNext("do");
            block();
            checkMatch("end", "while", line);
        } else if (t.is("do")) {
            next();
            block();
            checkMatch("end", "do", line);
        } else if (t.is("for")) {
            forStatement(line);
        } else if (t.is("repeat")) {
            next();
            scopes.openBlock();
            statements();
            checkMatch("until", "repeat", line);
            expr(); // sees the locals of the loop body
            scopes.closeBlock();
        } else if (t.is("function")) {
            next();
            functionName();
            body(line);
        } else if (t.is("local")) {
            next();
            if (testNext("function")) {
                scopes.declare(checkName(), false);
                body(line);
            } else {
                localStatement();
            }
        } else if (t.is("::")) {
            next();
            checkName();
            checkNext("::");
        } else if (t.is("break")) {
            next();
        } else if (t.is("goto")) {
            next();
            checkName();
        } else {
            expressionStatement();
        }
        leave();
    }

    private void ifStatement(int line) {
        do { // 'if' or 'elseif'
            next();
            expr();
            checkNext("then");
            block();
        } while (cur().is("elseif"));
        if (testNext("else")) {
            block();
        }
        checkMatch("end", "if", line);
    }

    private void forStatement(int line) {
        next();
        List<String> names = new ArrayList<>();
        names.add(checkName());
        if (testNext("=")) {
            expr();
            checkNext(",");
            expr();
            if (testNext(",")) {
                expr();
            }
        } else if (cur().is(",") || cur().is("in")) {
            while (testNext(",")) {
                names.add(checkName());
            }
            checkNext("in");
            expressionList();
        } else {
            throw expected("=' or 'in");
        }
        checkNext("do");
        scopes.openBlock();
        for (String name : names) {
            scopes.declare(name, false);
        }
        block();
        scopes.closeBlock();
        checkMatch("end", "for", line);
    }

    /** {@code function a.b.c:m} (the statement's name); assigning to a {@code <const>} local is an error. */
    private void functionName() {
        Token first = cur();
        checkName();
        boolean single = true;
        while (cur().is(".")) {
            next();
            checkName();
            single = false;
        }
        if (testNext(":")) {
            checkName();
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
            names.add(checkName());
            constants.add(attribute());
        } while (testNext(","));
        if (testNext("=")) {
            expressionList();
        }
        for (int i = 0; i < names.size(); i++) {
            scopes.declare(names.get(i), constants.get(i));
        }
    }

    /** An optional {@code <name>} after a local's name: whether it makes the local {@code <const>}. */
    private boolean attribute() {
        if (!cur().is("<")) {
            return false;
        }
        Token open = cur();
        next();
        Token name = cur();
        String attribute = checkName();
        Token close = cur();
        checkNext(">");
        switch (attribute) {
            case "const" -> {
                edits.replace(open.start(), close.end(), "");
                return true;
            }
            case "close" -> throw DialectException.rejected(open.line(),
                    "to-be-closed variables (<close>) are not supported");
            default -> throw DialectException.rejected(name.line(), "unknown attribute '" + attribute + "'");
        }
    }

    private void returnStatement() {
        next();
        if (!blockFollow(true) && !cur().is(";")) {
            expressionList();
        }
        testNext(";"); // what follows must end the block: the enclosing construct checks that
    }

    private void expressionStatement() {
        Token first = cur();
        Shape shape = suffixedExpression();
        if (cur().is("=") || cur().is(",")) {
            checkTarget(shape, first);
            while (testNext(",")) {
                Token target = cur();
                checkTarget(suffixedExpression(), target);
            }
            checkNext("=");
            expressionList();
        } else if (shape != Shape.CALL) {
            throw syntax("syntax error");
        }
    }

    private void checkTarget(Shape shape, Token first) {
        if (shape == Shape.NAME) {
            checkAssignable(first);
        } else if (shape != Shape.INDEXED) {
            throw syntax("syntax error");
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
        checkNext("(");
        List<String> parameters = new ArrayList<>();
        boolean vararg = false;
        if (!cur().is(")")) {
            do {
                if (cur().kind() == Token.Kind.NAME) {
                    parameters.add(checkName());
                } else if (testNext("...")) {
                    vararg = true;
                    break;
                } else {
                    throw expected("<name>");
                }
            } while (testNext(","));
        }
        checkNext(")");
        scopes.openFunction(vararg);
        for (String name : parameters) {
            scopes.declare(name, false);
        }
        statements();
        scopes.closeFunction();
        checkMatch("end", "function", line);
    }

    // ------------------------------------------------------------------ expressions

    private void expressionList() {
        expr();
        while (testNext(",")) {
            expr();
        }
    }

    private void expr() {
        subexpression(0);
    }

    /** Lua's {@code subexpr}: an expression whose binary operators all bind tighter than {@code limit}. */
    private void subexpression(int limit) {
        enter();
        int first = p;
        Token t = cur();
        if (t.is("not") || t.is("-") || t.is("#") || t.is("~")) {
            next();
            subexpression(UNARY_PRIORITY);
            if (t.is("~")) {
                edits.replace(t.start(), t.end(), "(" + Lua54Operators.UPVALUE + ".bnot(");
                edits.suffix(tok(p - 1).end(), "))");
                usesOperators = true;
            }
        } else {
            simpleExpression();
        }
        BinaryOperator op = BinaryOperator.of(cur());
        while (op != null && op.left > limit) {
            int operator = p;
            next();
            int right = p;
            subexpression(op.right);
            if (op.helper != null) {
                String helper = op == BinaryOperator.IDIV && (floatNumeral(first, operator - 1)
                        || floatNumeral(right, p - 1)) ? "fidiv" : op.helper;
                edits.prefix(tok(first).start(), "(" + Lua54Operators.UPVALUE + "." + helper + "(");
                edits.replace(tok(operator).start(), tok(operator).end(), ",");
                edits.suffix(tok(p - 1).end(), "))");
                usesOperators = true;
            }
            op = BinaryOperator.of(cur());
        }
        leave();
    }

    /** Whether tokens {@code first..last} are a float numeral, possibly negated. */
    private boolean floatNumeral(int first, int last) {
        if (last == first + 1 && tok(first).is("-")) {
            first++;
        }
        return first == last && tok(first).kind() == Token.Kind.NUMBER && Numerals.isFloat(tok(first).text());
    }

    private void simpleExpression() {
        Token t = cur();
        switch (t.kind()) {
            case NUMBER -> {
                String wrapped = Numerals.wrappedHexInteger(t.text());
                if (wrapped != null) {
                    edits.replace(t.start(), t.end(), wrapped);
                }
                next();
            }
            case STRING -> next();
            case KEYWORD -> {
                if (t.is("nil") || t.is("true") || t.is("false")) {
                    next();
                } else if (t.is("function")) {
                    next();
                    body(t.line());
                } else {
                    suffixedExpression();
                }
            }
            case SYMBOL -> {
                if (t.is("...")) {
                    if (!scopes.vararg()) {
                        throw syntax("cannot use '...' outside a vararg function");
                    }
                    next();
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
        Token t = cur();
        if (t.kind() == Token.Kind.NAME) {
            next();
            return Shape.NAME;
        }
        if (t.is("(")) {
            next();
            expr();
            checkMatch(")", "(", t.line());
            return Shape.PARENTHESIZED;
        }
        throw syntax("unexpected symbol");
    }

    private Shape suffixedExpression() {
        Shape shape = primaryExpression();
        while (true) {
            Token t = cur();
            if (t.is(".")) {
                next();
                checkName();
                shape = Shape.INDEXED;
            } else if (t.is("[")) {
                next();
                expr();
                checkNext("]");
                shape = Shape.INDEXED;
            } else if (t.is(":")) {
                next();
                checkName();
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
        Token t = cur();
        if (t.kind() == Token.Kind.STRING) {
            next();
        } else if (t.is("{")) {
            table();
        } else if (t.is("(")) {
            next();
            if (!cur().is(")")) {
                expressionList();
            }
            checkMatch(")", "(", t.line());
        } else {
            throw syntax("function arguments expected");
        }
    }

    private void table() {
        int line = cur().line();
        checkNext("{");
        while (!cur().is("}")) {
            if (cur().kind() == Token.Kind.NAME && peek().is("=")) {
                next();
                next();
                expr();
            } else if (cur().is("[")) {
                next();
                expr();
                checkNext("]");
                checkNext("=");
                expr();
            } else {
                expr();
            }
            if (!testNext(",") && !testNext(";")) {
                break;
            }
        }
        checkMatch("}", "{", line);
    }
}
