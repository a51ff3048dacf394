package io.zentinel.sentinel.lua.worker.script;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;

/**
 * The metadata of a script: the {@code -- key: value} comment lines at the top of its file.
 *
 * <pre>
 * -- name: my-script
 * -- version: 1.0.0
 * -- hook: request_headers
 * -- paths: /api/*
 * -- methods: GET, POST
 * -- priority: 100
 * </pre>
 *
 * <p>The header is the run of {@code --} line comments at the start of the file (blank lines
 * before it are skipped); it ends at the first blank line or line of code. Inside it, a line
 * {@code -- <key>: <value>} (a word, a colon, then a space or the end of the line) is a metadata
 * entry; other comment lines are prose. Keys are case-insensitive:
 * <ul>
 * <li>{@code name}: default the file name without {@code .lua}; unique in the script set.</li>
 * <li>{@code version}: free text, default empty.</li>
 * <li>{@code hook} (or {@code hooks}): one or several of {@code request_headers},
 *     {@code request_body_chunk}, {@code request_body}, {@code response_headers},
 *     {@code response_body}, each also accepted with an {@code on_} prefix; default: every
 *     {@code on_*} function the script defines after its top-level code ran.</li>
 * <li>{@code paths} (or {@code path}): comma-separated {@link PathGlob}s; default every path.</li>
 * <li>{@code methods} (or {@code method}): comma-separated HTTP methods, case-insensitive, or
 *     {@code *}; default every method.</li>
 * <li>{@code priority}: an integer, lower runs first, default {@value #DEFAULT_PRIORITY}; ties
 *     run in name order.</li>
 * <li>{@code author}, {@code description}: accepted and ignored.</li>
 * </ul>
 * An unknown key, a repeated key or a bad value is a {@link ScriptProblem} with the line, and the
 * script is left out of the set.
 *
 * @param name      the script's name
 * @param version   its version, possibly empty
 * @param hooks     declared hooks; empty means "the {@code on_*} functions it defines"
 * @param hookLine  line of the {@code hook:} entry, 0 when none
 * @param paths     path patterns; empty means every path
 * @param methods   upper-case methods; empty means every method
 * @param priority  lower runs first
 */
public record ScriptHeader(String name, String version, Set<Hook> hooks, int hookLine, List<PathGlob> paths,
        Set<String> methods, int priority) {

    public static final int DEFAULT_PRIORITY = 100;
    /** Longest accepted name and version. */
    public static final int MAX_NAME_CHARS = 128;
    static final List<String> KNOWN_KEYS = List.of("name", "version", "hook", "paths", "methods", "priority",
            "author", "description");

    private static final Pattern ENTRY = Pattern.compile("^([A-Za-z][A-Za-z0-9_-]*)\\s*:(.*)$");
    private static final Pattern METHOD = Pattern.compile("[A-Za-z]+");

    public ScriptHeader {
        hooks = Set.copyOf(hooks);
        paths = List.copyOf(paths);
        methods = Set.copyOf(methods);
    }

    /** Whether the script runs for every path. */
    public boolean allPaths() {
        return paths.isEmpty() || paths.stream().anyMatch(PathGlob::matchesAll);
    }

    /** The header of a file, or the problems that keep it out. */
    public record Parsed(ScriptHeader header, List<ScriptProblem> problems) {
        public Parsed {
            problems = List.copyOf(problems);
        }
    }

    /** Reads the header of {@code source}, the contents of {@code fileName}. */
    public static Parsed parse(String fileName, String source) {
        Parser parser = new Parser(fileName);
        String[] lines = source.split("\r?\n|\r", -1);
        boolean inHeader = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (i == 0 && line.startsWith("#")) {
                continue; // a shebang line, which Lua skips too
            }
            if (line.isEmpty()) {
                if (inHeader) {
                    break;
                }
                continue;
            }
            if (!line.startsWith("--") || line.startsWith("--[")) {
                break;
            }
            inHeader = true;
            Matcher m = ENTRY.matcher(line.substring(2).strip());
            if (m.matches()) {
                String key = m.group(1).toLowerCase(Locale.ROOT);
                String rest = m.group(2);
                // "key: value"; "key:value" only for known keys, so that "-- see http://x" stays prose
                if (rest.isEmpty() || Character.isWhitespace(rest.charAt(0)) || KNOWN_KEYS.contains(canonical(key))) {
                    parser.entry(i + 1, key, rest.strip());
                }
            }
        }
        return parser.finish();
    }

    /** The key an alias stands for: {@code hooks -> hook}, {@code path -> paths}, {@code method -> methods}. */
    private static String canonical(String key) {
        return switch (key) {
            case "hooks" -> "hook";
            case "path" -> "paths";
            case "method" -> "methods";
            default -> key;
        };
    }

    private static final class Parser {
        private final String fileName;
        private final List<ScriptProblem> problems = new ArrayList<>();
        private final Map<String, Integer> seen = new HashMap<>();
        private String name;
        private String version = "";
        private final Set<Hook> hooks = new LinkedHashSet<>();
        private int hookLine;
        private final List<PathGlob> paths = new ArrayList<>();
        private final Set<String> methods = new LinkedHashSet<>();
        private int priority = DEFAULT_PRIORITY;

        Parser(String fileName) {
            this.fileName = fileName;
            this.name = fileName.endsWith(".lua") ? fileName.substring(0, fileName.length() - 4) : fileName;
        }

        void entry(int line, String rawKey, String value) {
            String key = canonical(rawKey);
            if (!KNOWN_KEYS.contains(key)) {
                problem(line, "unknown metadata key '" + rawKey + "' (known: " + String.join(", ", KNOWN_KEYS) + ")");
                return;
            }
            Integer first = seen.putIfAbsent(key, line);
            if (first != null) {
                problem(line, "metadata key '" + rawKey + "' repeated (first on line " + first + ")");
                return;
            }
            if (value.isEmpty() && !key.equals("version") && !key.equals("author") && !key.equals("description")) {
                problem(line, "metadata key '" + rawKey + "' has no value");
                return;
            }
            switch (key) {
                case "name" -> name(line, value);
                case "version" -> version(line, value);
                case "hook" -> hooks(line, value);
                case "paths" -> paths(line, value);
                case "methods" -> methods(line, value);
                case "priority" -> priority(line, value);
                default -> {
                    // author, description: informational
                }
            }
        }

        private void name(int line, String value) {
            if (value.length() > MAX_NAME_CHARS || hasControl(value)) {
                problem(line, "name must be at most " + MAX_NAME_CHARS + " printable characters");
                return;
            }
            name = value;
        }

        private void version(int line, String value) {
            if (value.length() > MAX_NAME_CHARS || hasControl(value)) {
                problem(line, "version must be at most " + MAX_NAME_CHARS + " printable characters");
                return;
            }
            version = value;
        }

        private void hooks(int line, String value) {
            hookLine = line;
            for (String item : items(value)) {
                Hook hook = Hooks.parse(item);
                if (hook == null) {
                    problem(line, "'" + item + "' is not a hook (expected one of " + Hooks.names()
                            + ", optionally with the on_ prefix)");
                    return;
                }
                hooks.add(hook);
            }
        }

        private void paths(int line, String value) {
            for (String item : items(value)) {
                try {
                    paths.add(PathGlob.parse(item));
                } catch (IllegalArgumentException e) {
                    problem(line, e.getMessage());
                    return;
                }
            }
        }

        private void methods(int line, String value) {
            Set<String> parsed = new LinkedHashSet<>();
            boolean all = false;
            for (String item : items(value)) {
                if (item.equals("*")) {
                    all = true;
                } else if (METHOD.matcher(item).matches()) {
                    parsed.add(item.toUpperCase(Locale.ROOT));
                } else {
                    problem(line, "'" + item + "' is not an HTTP method");
                    return;
                }
            }
            if (!all) {
                methods.addAll(parsed);
            }
        }

        private void priority(int line, String value) {
            try {
                priority = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                problem(line, "priority '" + value + "' is not an integer");
            }
        }

        private static List<String> items(String value) {
            List<String> items = new ArrayList<>();
            for (String part : value.split(",", -1)) {
                items.add(part.strip()); // an empty item ("a,,b") is reported by the callers
            }
            return items;
        }

        private static boolean hasControl(String value) {
            return value.chars().anyMatch(c -> c < 0x20 || c == 0x7F);
        }

        private void problem(int line, String reason) {
            problems.add(ScriptProblem.newBuilder().setFileName(fileName).setLine(line).setReason(reason).build());
        }

        Parsed finish() {
            if (!problems.isEmpty()) {
                return new Parsed(null, problems);
            }
            return new Parsed(new ScriptHeader(name, version, hooks, hookLine, paths, methods, priority), List.of());
        }
    }
}
