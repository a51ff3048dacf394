package io.zentinel.sentinel.lua.worker.lua.lib;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.luaj.vm2.LuaError;

/**
 * A parsed {@code regex.replace} template. {@code $1} .. {@code $99} (the longest run of digits)
 * and {@code ${name}} / {@code ${1}} insert a capture group (nothing for a group that did not
 * take part), {@code $$} is a literal {@code $}; every other character, backslash included, is
 * literal. A reference to a group the pattern does not have, or any other use of {@code $}, is
 * an error, raised before matching starts.
 */
final class Replacement {

    /** Literal text (String) or a group number (Integer), in order. */
    private final List<Object> parts;

    private Replacement(List<Object> parts) {
        this.parts = parts;
    }

    static Replacement parse(String template, Pattern pattern, String fn) {
        int groups = pattern.matcher("").groupCount();
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c != '$') {
                literal.append(c);
                i++;
                continue;
            }
            if (i + 1 < template.length() && template.charAt(i + 1) == '$') {
                literal.append('$');
                i += 2;
                continue;
            }
            int group;
            int next;
            if (i + 1 < template.length() && isDigit(template.charAt(i + 1))) {
                next = i + 1;
                while (next < template.length() && isDigit(template.charAt(next))) {
                    next++;
                }
                group = groupNumber(template.substring(i + 1, next), groups, fn);
            } else if (i + 1 < template.length() && template.charAt(i + 1) == '{') {
                int close = template.indexOf('}', i + 2);
                if (close < 0) {
                    throw new LuaError(fn + ": unclosed '${' at position " + (i + 1) + " in the replacement");
                }
                String name = template.substring(i + 2, close);
                next = close + 1;
                if (!name.isEmpty() && name.chars().allMatch(Replacement::isDigit)) {
                    group = groupNumber(name, groups, fn);
                } else {
                    Integer named = pattern.namedGroups().get(name);
                    if (named == null) {
                        throw new LuaError(fn + ": the replacement refers to group '" + name
                                + "', which the pattern does not define");
                    }
                    group = named;
                }
            } else {
                throw new LuaError(fn + ": invalid '$' at position " + (i + 1)
                        + " in the replacement (use $$ for a literal $)");
            }
            if (literal.length() > 0) {
                parts.add(literal.toString());
                literal.setLength(0);
            }
            parts.add(group);
            i = next;
        }
        if (literal.length() > 0) {
            parts.add(literal.toString());
        }
        return new Replacement(parts);
    }

    void appendTo(StringBuilder out, Matcher m) {
        for (Object part : parts) {
            if (part instanceof Integer group) {
                String s = m.group(group);
                if (s != null) {
                    out.append(s);
                }
            } else {
                out.append((String) part);
            }
        }
    }

    private static int groupNumber(String digits, int groups, String fn) {
        long n = digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits);
        if (n > groups) {
            throw new LuaError(fn + ": the replacement refers to group " + digits
                    + ", but the pattern has " + groups + (groups == 1 ? " group" : " groups"));
        }
        return (int) n;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }
}
