package io.zentinel.sentinel.lua.worker.dialect;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The local variables in scope at a point of a chunk, innermost last, across function
 * boundaries (an enclosing function's locals are upvalues, still in scope), with whether each is
 * {@code <const>}. Also whether each open function is a vararg function.
 */
final class LocalScopes {
    private record Local(String name, boolean constant) {
    }

    private final List<Local> locals = new ArrayList<>();
    private final Deque<Integer> blocks = new ArrayDeque<>();
    private final Deque<Boolean> functions = new ArrayDeque<>();

    void openFunction(boolean vararg) {
        functions.push(vararg);
        openBlock();
    }

    void closeFunction() {
        closeBlock();
        functions.pop();
    }

    /** Whether {@code ...} may be used here: the innermost function is a vararg function. */
    boolean vararg() {
        return functions.isEmpty() || functions.peek();
    }

    void openBlock() {
        blocks.push(locals.size());
    }

    void closeBlock() {
        int mark = blocks.pop();
        locals.subList(mark, locals.size()).clear();
    }

    void declare(String name, boolean constant) {
        locals.add(new Local(name, constant));
    }

    /** Whether {@code name} here denotes a {@code <const>} local (the innermost one of that name wins). */
    boolean isConst(String name) {
        for (int i = locals.size() - 1; i >= 0; i--) {
            Local l = locals.get(i);
            if (l.name().equals(name)) {
                return l.constant();
            }
        }
        return false;
    }
}
