package io.zentinel.sentinel.lua.worker.sandbox;

import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where Lua's {@code print} and {@code sentinel.log} write: the worker log (stderr), under the
 * logger {@value #LOGGER}, as {@code "script <name> - <message>"}.
 *
 * <p>Messages are capped at {@value #MAX_CHARS} characters and control characters (line breaks
 * included) are escaped, so that a script can neither flood the log nor forge log lines: the
 * supervisor re-logs every stderr line of a worker at the level its prefix names.
 */
public final class ScriptLog {
    public static final String LOGGER = "io.zentinel.sentinel.lua.script";
    public static final int MAX_CHARS = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    /** Log levels a script may name, as {@code sentinel.log} accepts them. */
    public enum Level {
        TRACE, DEBUG, INFO, WARN, ERROR;

        /** The level named {@code name} (case-insensitive), or {@code null}. */
        public static Level parse(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "trace" -> TRACE;
                case "debug" -> DEBUG;
                case "info" -> INFO;
                case "warn", "warning" -> WARN;
                case "error" -> ERROR;
                default -> null;
            };
        }
    }

    private ScriptLog() {
    }

    /** Whether a message at {@code level} would be written (so callers can skip building it). */
    public static boolean enabled(Level level) {
        return switch (level) {
            case TRACE -> LOG.isTraceEnabled();
            case DEBUG -> LOG.isDebugEnabled();
            case INFO -> LOG.isInfoEnabled();
            case WARN -> LOG.isWarnEnabled();
            case ERROR -> LOG.isErrorEnabled();
        };
    }

    public static void log(Level level, String script, String message) {
        if (!enabled(level)) {
            return;
        }
        String name = script == null || script.isEmpty() ? "?" : clean(script);
        String text = clean(message);
        switch (level) {
            case TRACE -> LOG.trace("script {} - {}", name, text);
            case DEBUG -> LOG.debug("script {} - {}", name, text);
            case INFO -> LOG.info("script {} - {}", name, text);
            case WARN -> LOG.warn("script {} - {}", name, text);
            case ERROR -> LOG.error("script {} - {}", name, text);
        }
    }

    /** {@code message} capped and with control characters escaped as {@code \n}, {@code \t} or {@code \xNN}. */
    public static String clean(String message) {
        int limit = Math.min(message.length(), MAX_CHARS);
        StringBuilder out = null;
        for (int i = 0; i < limit; i++) {
            char c = message.charAt(i);
            if (c >= 0x20 && c != 0x7F && (c < 0x80 || c > 0x9F) && c != 0x2028 && c != 0x2029) {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(limit + 16).append(message, 0, i);
            }
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(String.format(Locale.ROOT, c < 0x100 ? "\\x%02X" : "\\u%04X", (int) c));
            }
        }
        String text = out == null ? message.substring(0, limit) : out.toString();
        return message.length() > MAX_CHARS ? text + "... (" + message.length() + " chars)" : text;
    }
}
