package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prints documents in the canonical form of the KDL specification's test suite: no comments,
 * one node per line, four-space indents, arguments then properties sorted by name, no empty
 * children blocks, strings quoted with escapes (raw strings converted), identifiers bare where
 * possible, numbers in decimal. In v2 form, strings that are valid identifiers are printed bare
 * and keywords carry their {@code #}.
 *
 * <p>Also used to quote values in configuration error messages ({@link #value}).
 */
public final class KdlPrinter {

    private static final String INDENT = "    ";

    private KdlPrinter() {
    }

    /** The canonical text of {@code document}; an empty document prints as a single newline. */
    public static String print(KdlDocument document, KdlVersion version) {
        if (document.nodes().isEmpty()) {
            return "\n";
        }
        StringBuilder out = new StringBuilder();
        for (KdlNode node : document.nodes()) {
            node(out, node, 0, version);
        }
        return out.toString();
    }

    /** A value as KDL text, with its type annotation. */
    public static String value(KdlValue value, KdlVersion version) {
        String type = value.type().map(t -> "(" + identifier(t, version) + ")").orElse("");
        return type + switch (value) {
            case KdlString s -> version == KdlVersion.V2 && version.isBareIdentifier(s.value())
                    ? s.value() : quoted(s.value(), version);
            case KdlNumber n -> number(n);
            case KdlBoolean b -> (version == KdlVersion.V2 ? "#" : "") + b.value();
            case KdlNull ignored -> version == KdlVersion.V2 ? "#null" : "null";
        };
    }

    /** A node name, property name or type name: bare if it can be, else quoted. */
    public static String identifier(String name, KdlVersion version) {
        return version.isBareIdentifier(name) ? name : quoted(name, version);
    }

    private static void node(StringBuilder out, KdlNode node, int depth, KdlVersion version) {
        out.append(INDENT.repeat(depth));
        node.type().ifPresent(t -> out.append('(').append(identifier(t, version)).append(')'));
        out.append(identifier(node.name(), version));
        for (KdlValue arg : node.args()) {
            out.append(' ').append(value(arg, version));
        }
        for (Map.Entry<String, KdlValue> prop : new TreeMap<>(node.props()).entrySet()) {
            out.append(' ').append(identifier(prop.getKey(), version)).append('=').append(value(prop.getValue(), version));
        }
        if (!node.children().isEmpty()) {
            out.append(" {\n");
            for (KdlNode child : node.children()) {
                node(out, child, depth + 1, version);
            }
            out.append(INDENT.repeat(depth)).append('}');
        }
        out.append('\n');
    }

    /**
     * Decimal text of a number. Infinities and NaN print as the v2 keywords in either form:
     * KDL v1 has no way to write them, and a message quoting such a value should still read well.
     */
    private static String number(KdlNumber number) {
        return switch (number.value()) {
            case Double d -> d.isNaN() ? "#nan" : d > 0 ? "#inf" : "#-inf";
            case BigDecimal d -> {
                // 2.5e1 is 25 with scale 0; keep it a decimal so that it reads back as one.
                String text = d.toString();
                yield text.indexOf('.') < 0 && text.indexOf('E') < 0 ? text + ".0" : text;
            }
            default -> number.value().toString();
        };
    }

    private static String quoted(String text, KdlVersion version) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        text.codePoints().forEach(cp -> {
            switch (cp) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (cp < 0x20 || version.isNewline(cp) || KdlVersion.isDisallowedLiteral(cp)) {
                        out.append("\\u{").append(Integer.toHexString(cp)).append('}');
                    } else {
                        out.appendCodePoint(cp);
                    }
                }
            }
        });
        return out.append('"').toString();
    }
}
