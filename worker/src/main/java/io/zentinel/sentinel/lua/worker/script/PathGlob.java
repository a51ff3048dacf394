package io.zentinel.sentinel.lua.worker.script;

import java.util.regex.Pattern;

/**
 * A {@code paths:} pattern: {@code *} matches within one path segment (no {@code /}), {@code **}
 * matches anything, everything else matches itself (case-sensitive, no percent-decoding).
 * {@code /admin/**} also matches {@code /admin} itself; {@code *}, {@code **} and {@code /**}
 * match every path.
 *
 * <p>The common shapes (everything, an exact path, a prefix ending in {@code /**}) match with
 * plain string operations; only other patterns use a precompiled regular expression.
 * Immutable and thread-safe.
 */
public final class PathGlob {
    private enum Kind { ANY, EXACT, PREFIX, PATTERN }

    private final String glob;
    private final Kind kind;
    private final String literal;
    private final Pattern pattern;

    private PathGlob(String glob, Kind kind, String literal, Pattern pattern) {
        this.glob = glob;
        this.kind = kind;
        this.literal = literal;
        this.pattern = pattern;
    }

    /**
     * @throws IllegalArgumentException with the reason when {@code glob} is not a valid pattern
     */
    public static PathGlob parse(String glob) {
        if (glob.isEmpty()) {
            throw new IllegalArgumentException("empty path pattern");
        }
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c <= ' ' || c == 0x7F) {
                throw new IllegalArgumentException("path pattern '" + glob + "' contains whitespace or a control character");
            }
        }
        if (glob.contains("***")) {
            throw new IllegalArgumentException("path pattern '" + glob + "' has more than two '*' in a row");
        }
        if (glob.equals("*") || glob.equals("**") || glob.equals("/**")) {
            return new PathGlob(glob, Kind.ANY, null, null);
        }
        if (!glob.startsWith("/")) {
            throw new IllegalArgumentException("path pattern '" + glob + "' must start with '/'");
        }
        int star = glob.indexOf('*');
        if (star < 0) {
            return new PathGlob(glob, Kind.EXACT, glob, null);
        }
        if (glob.endsWith("/**") && star == glob.length() - 2) {
            return new PathGlob(glob, Kind.PREFIX, glob.substring(0, glob.length() - 3), null);
        }
        return new PathGlob(glob, Kind.PATTERN, null, Pattern.compile(toRegex(glob)));
    }

    private static String toRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < glob.length()) {
            String wildcard = null;
            int width = 1;
            if (glob.startsWith("/**", i) && (i + 3 == glob.length() || glob.charAt(i + 3) == '/')) {
                wildcard = "(?:/.*)?";
                width = 3;
            } else if (glob.startsWith("**", i)) {
                wildcard = ".*";
                width = 2;
            } else if (glob.charAt(i) == '*') {
                wildcard = "[^/]*";
            }
            if (wildcard == null) {
                literal.append(glob.charAt(i));
            } else {
                if (!literal.isEmpty()) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(wildcard);
            }
            i += width;
        }
        if (!literal.isEmpty()) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return regex.toString();
    }

    /** Whether {@code path} (the request path without its query) matches. */
    public boolean matches(String path) {
        return switch (kind) {
            case ANY -> true;
            case EXACT -> literal.equals(path);
            case PREFIX -> path.startsWith(literal) && (path.length() == literal.length() || path.charAt(literal.length()) == '/');
            case PATTERN -> pattern.matcher(path).matches();
        };
    }

    /** Whether this pattern matches every path. */
    public boolean matchesAll() {
        return kind == Kind.ANY;
    }

    @Override
    public String toString() {
        return glob;
    }
}
