package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.util.Set;

/**
 * The two major versions of the KDL language, and the character classes in which they differ.
 *
 * <p>The seed README's configuration is KDL 1.0.0. KDL 2.0.0 changed the lexical rules (keywords
 * became {@code #true}, bare identifiers became valid values, raw strings lost their {@code r}
 * prefix, vertical tab became a newline, and several control characters became illegal), but the
 * two versions were designed so that a document valid in both means the same in both. That is
 * what lets {@link KdlParser#parse(String)} fall back from one to the other.
 */
public enum KdlVersion {
    V1,
    V2;

    private static final int BOM = 0xFEFF;
    private static final String V1_NON_IDENTIFIER = "\\/(){}<>;[]=,\"";
    private static final String V2_NON_IDENTIFIER = "\\/(){};[]\"#=";
    private static final Set<String> V1_KEYWORDS = Set.of("true", "false", "null");
    private static final Set<String> V2_KEYWORDS = Set.of("true", "false", "null", "inf", "-inf", "nan");

    /** Newline characters; CRLF counts as one newline, which callers handle. */
    boolean isNewline(int cp) {
        return switch (cp) {
            case '\r', '\n', 0x85, 0x0C, 0x2028, 0x2029 -> true;
            case 0x0B -> this == V2;
            default -> false;
        };
    }

    /** White space that is not a newline: the table shared by both specifications. */
    static boolean isUnicodeSpace(int cp) {
        return cp == '\t' || cp == ' ' || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** A single-character {@code ws}: v1 counts a byte-order mark anywhere as white space. */
    boolean isSpace(int cp) {
        return isUnicodeSpace(cp) || (this == V1 && cp == BOM);
    }

    boolean isIdentifierChar(int cp) {
        if (cp <= 0x20 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        if (isNewline(cp) || isUnicodeSpace(cp) || cp == BOM) {
            return false;
        }
        if (this == V1) {
            return V1_NON_IDENTIFIER.indexOf(cp) < 0;
        }
        return V2_NON_IDENTIFIER.indexOf(cp) < 0 && !isDisallowedLiteral(cp);
    }

    /**
     * Code points that KDL v2 forbids anywhere in a document (they may still be written as
     * {@code \\u{...}} escapes): control characters, unpaired surrogates, bidirectional
     * formatting marks (which can make source text read differently from how it parses), and a
     * byte-order mark after the first position. KDL v1 has no such rule.
     */
    static boolean isDisallowedLiteral(int cp) {
        return (cp <= 0x08) || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F
                || (cp >= 0xD800 && cp <= 0xDFFF)
                || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E)
                || (cp >= 0x2066 && cp <= 0x2069) || cp == BOM;
    }

    /** Words that cannot be bare identifiers. */
    Set<String> reservedWords() {
        return this == V1 ? V1_KEYWORDS : V2_KEYWORDS;
    }

    /**
     * Whether {@code text} can be written as a bare identifier: made only of identifier
     * characters, not confusable with a number, and not a reserved word.
     */
    boolean isBareIdentifier(String text) {
        if (text.isEmpty() || reservedWords().contains(text)) {
            return false;
        }
        if (!text.codePoints().allMatch(this::isIdentifierChar)) {
            return false;
        }
        int i = (text.charAt(0) == '+' || text.charAt(0) == '-') ? 1 : 0;
        if (i < text.length() && isDigit(text.charAt(i))) {
            return false;
        }
        // v2 also keeps ".5" and "-.5" away from numbers; in v1 a leading '.' is an ordinary char.
        return !(this == V2 && i < text.length() && text.charAt(i) == '.'
                && i + 1 < text.length() && isDigit(text.charAt(i + 1)));
    }

    static boolean isDigit(int cp) {
        return cp >= '0' && cp <= '9';
    }

    @Override
    public String toString() {
        return this == V1 ? "KDL v1" : "KDL v2";
    }
}
