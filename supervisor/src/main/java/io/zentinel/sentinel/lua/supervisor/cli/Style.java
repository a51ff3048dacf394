package io.zentinel.sentinel.lua.supervisor.cli;

import java.io.Console;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * ANSI colours for the operator commands, on a terminal only: standard output is a console and
 * {@code NO_COLOR} is unset or empty (no-color.org). Output to a pipe, a file or a test stays
 * plain text.
 *
 * @param colour whether to emit escape codes
 */
record Style(boolean colour) {
    static final Style PLAIN = new Style(false);

    /** Colours when standard output is a terminal and {@code NO_COLOR} is not set. */
    static Style detect(Map<String, String> env) {
        String noColor = env.get("NO_COLOR");
        return new Style((noColor == null || noColor.isEmpty()) && terminal());
    }

    /**
     * {@code System.console() != null}, and on JDK 22+ also {@code Console.isTerminal()}: since 22
     * a console object exists even when the streams are redirected.
     */
    private static boolean terminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // JDK 21: a console exists only for a terminal
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    String bold(String text) {
        return paint("1", text);
    }

    String green(String text) {
        return paint("32", text);
    }

    String yellow(String text) {
        return paint("33", text);
    }

    String red(String text) {
        return paint("31", text);
    }

    String dim(String text) {
        return paint("2", text);
    }

    private String paint(String code, String text) {
        return colour && !text.isEmpty() ? "\u001B[" + code + "m" + text + "\u001B[0m" : text;
    }
}
