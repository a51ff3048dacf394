package io.zentinel.sentinel.lua.worker.lua.lib;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import io.zentinel.sentinel.lua.worker.sandbox.LuaArgs;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The Lua {@code regex} module: {@code java.util.regex} patterns over UTF-8 text.
 *
 * <p>Pattern and subject must be valid UTF-8; they are matched as Unicode text, and results are
 * UTF-8 again. Compiled patterns are kept in a bounded LRU cache (per module instance, so per VM:
 * not thread-safe). The subject is read through {@link GuardedText}, which checks the script's
 * deadline while the engine backtracks.
 */
public final class RegexLib extends LuaModule {

    /** Default number of compiled patterns kept per module instance. */
    public static final int DEFAULT_MAX_CACHED_PATTERNS = 256;
    /** Default longest pattern, in UTF-16 chars (for ASCII patterns: bytes). */
    public static final int DEFAULT_MAX_PATTERN_LENGTH = 4096;

    private final int maxPatternLength;
    private final Map<String, Pattern> cache;

    /** A module with {@link #DEFAULT_MAX_CACHED_PATTERNS} and {@link #DEFAULT_MAX_PATTERN_LENGTH}. */
    public RegexLib(ExecutionGuard guard) {
        this(guard, DEFAULT_MAX_CACHED_PATTERNS, DEFAULT_MAX_PATTERN_LENGTH);
    }

    /**
     * @param maxCachedPatterns compiled patterns kept, least recently used evicted first (>= 0)
     * @param maxPatternLength longest pattern accepted, in UTF-16 chars (>= 1)
     */
    public RegexLib(ExecutionGuard guard, int maxCachedPatterns, int maxPatternLength) {
        super(guard);
        if (maxCachedPatterns < 0) {
            throw new IllegalArgumentException("maxCachedPatterns must be >= 0 (was " + maxCachedPatterns + ")");
        }
        if (maxPatternLength < 1) {
            throw new IllegalArgumentException("maxPatternLength must be >= 1 (was " + maxPatternLength + ")");
        }
        this.maxPatternLength = maxPatternLength;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Pattern> eldest) {
                return size() > maxCachedPatterns;
            }
        };
    }

    @Override
    public String moduleName() {
        return "regex";
    }

    @Override
    void define(LuaTable module) {
        function(module, "match",
                stackGuarded("regex.match", args -> LuaValue.valueOf(matcher(args, "regex.match").find())));
        function(module, "find", stackGuarded("regex.find", this::find));
        function(module, "find_all", stackGuarded("regex.find_all", this::findAll));
        function(module, "replace", stackGuarded("regex.replace", this::replace));
    }

    /**
     * Turns a {@link StackOverflowError} from {@code java.util.regex} into a {@link LuaError}.
     *
     * <p>The JDK's engine recurses once per repetition of a group with alternatives, so
     * {@code (a|b)*} over a few thousand characters overflows a worker thread's stack. That is a
     * property of the input, not a broken VM: the error is thrown inside the engine, which holds no
     * locks and shares no state, and the stack is unwound by the time we catch it here. So, unlike
     * other {@code Error}s, it becomes an ordinary script error that {@code pcall} can handle.
     */
    private static JavaFunction.Body stackGuarded(String fn, JavaFunction.Body body) {
        return args -> {
            try {
                return body.invoke(args);
            } catch (StackOverflowError e) {
                throw new LuaError(fn + ": the pattern needs more stack than is available for this subject"
                        + " (java.util.regex recurses once per repetition of a group with alternatives;"
                        + " prefer a character class such as [ab]* to (a|b)*)");
            }
        };
    }

    /** Number of compiled patterns in the cache (for tests). */
    int cachedPatterns() {
        return cache.size();
    }

    /** The first match, followed by every capture group (nil for a group that did not take part). */
    private Varargs find(Varargs args) {
        Matcher m = matcher(args, "regex.find");
        if (!m.find()) {
            return LuaValue.NIL;
        }
        LuaValue[] results = new LuaValue[m.groupCount() + 1];
        for (int g = 0; g <= m.groupCount(); g++) {
            String s = m.group(g);
            results[g] = s == null ? LuaValue.NIL : LuaBytes.utf8(s);
        }
        return LuaValue.varargsOf(results);
    }

    /** Every match (whole matches only), as a list; empty when nothing matches. */
    private Varargs findAll(Varargs args) {
        Matcher m = matcher(args, "regex.find_all");
        LuaTable list = new LuaTable();
        int n = 0;
        while (m.find()) {
            guard.checkTableSize(n + 1L);
            list.rawset(++n, LuaBytes.utf8(m.group()));
        }
        return list;
    }

    /** Replaces every match; see {@link Replacement} for the {@code $1} / {@code ${name}} syntax. */
    private Varargs replace(Varargs args) {
        String fn = "regex.replace";
        Pattern pattern = compile(text(LuaArgs.string(args, 1, fn), fn, "pattern"), fn);
        String subject = text(LuaArgs.string(args, 2, fn), fn, "subject");
        Replacement replacement = Replacement.parse(text(LuaArgs.string(args, 3, fn), fn, "replacement"), pattern, fn);
        Matcher m = pattern.matcher(new GuardedText(subject, guard));
        long max = guard.maxStringBytes();
        StringBuilder out = new StringBuilder();
        int last = 0;
        while (m.find()) {
            out.append(subject, last, m.start());
            replacement.appendTo(out, m);
            last = m.end();
            if (out.length() > max) {
                // a char is at least one UTF-8 byte, so this is already too long
                guard.checkStringLength(out.length());
                throw new LuaError(fn + ": result exceeds the maximum allowed (" + max + " bytes)");
            }
        }
        out.append(subject, last, subject.length());
        LuaString result = LuaBytes.utf8(out.toString());
        guard.checkStringLength(result.m_length);
        return result;
    }

    private Matcher matcher(Varargs args, String fn) {
        String pattern = text(LuaArgs.string(args, 1, fn), fn, "pattern");
        String subject = text(LuaArgs.string(args, 2, fn), fn, "subject");
        return compile(pattern, fn).matcher(new GuardedText(subject, guard));
    }

    private Pattern compile(String pattern, String fn) {
        Pattern p = cache.get(pattern);
        if (p != null) {
            return p;
        }
        if (pattern.length() > maxPatternLength) {
            throw new LuaError(fn + ": pattern length (" + pattern.length()
                    + ") exceeds the maximum allowed (" + maxPatternLength + ")");
        }
        try {
            p = Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
            throw new LuaError(fn + ": invalid pattern: " + e.getDescription() + " near index " + e.getIndex());
        }
        cache.put(pattern, p);
        return p;
    }

    private static String text(LuaString s, String fn, String what) {
        String text = LuaBytes.strictUtf8(s);
        if (text == null) {
            throw new LuaError(fn + ": " + what + " is not valid UTF-8");
        }
        return text;
    }
}
