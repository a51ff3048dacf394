package io.zentinel.sentinel.lua.worker.lua.lib;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;

/**
 * A regex subject that checks the script's deadline every {@value #CHECK_INTERVAL} character
 * reads. {@code java.util.regex} reads the subject only through {@link #charAt}, so catastrophic
 * backtracking, which reads the same characters again and again, ends with the guard's error
 * instead of running on past the script's time limit.
 */
final class GuardedText implements CharSequence {

    static final int CHECK_INTERVAL = 1024;

    private final String text;
    private final ExecutionGuard guard;
    private int reads;

    GuardedText(String text, ExecutionGuard guard) {
        this.text = text;
        this.guard = guard;
    }

    @Override
    public int length() {
        return text.length();
    }

    @Override
    public char charAt(int index) {
        if (++reads >= CHECK_INTERVAL) {
            reads = 0;
            guard.checkDeadline();
        }
        return text.charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return text.subSequence(start, end);
    }

    @Override
    public String toString() {
        return text;
    }
}
