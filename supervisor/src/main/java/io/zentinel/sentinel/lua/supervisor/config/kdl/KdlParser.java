package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recursive-descent parser for KDL 1.0.0 and 2.0.0.
 *
 * <p>{@link #parse(String)} reads a document in whichever version it is written: the version its
 * {@code /- kdl-version N} marker declares, or else v1 and, if that fails, v2. The specification
 * designed the two grammars so that no document parses in both with different data, which makes
 * this fallback safe. {@link #parse(String, KdlVersion)} reads exactly one version.
 *
 * <p>One deliberate leniency in v1: the last node of a children block may end at the closing
 * brace without a semicolon or newline, as in {@code parent { child }}, which v2 allows and v1
 * implementations commonly accept.
 *
 * <p>Hostile input cannot exhaust the stack: children blocks nest at most {@value #MAX_DEPTH}
 * deep and comments are skipped iteratively. Every failure is a {@link KdlParseException}.
 */
public final class KdlParser {

    /** How deep children blocks may nest. */
    public static final int MAX_DEPTH = 100;

    private static final String SPACE = "[\\t \\u00A0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000]";
    private static final Pattern VERSION_MARKER = Pattern.compile(
            "^\\uFEFF?/-" + SPACE + "*kdl-version" + SPACE + "+([12])" + SPACE
                    + "*(?:\\r\\n|[\\r\\n\\u0085\\u000B\\u000C\\u2028\\u2029])");

    private final String text;
    private final KdlSource src;
    private final KdlVersion version;
    private final KdlStringReader strings;

    private KdlParser(String text, KdlVersion version) {
        this.text = text;
        this.src = new KdlSource(text, version);
        this.version = version;
        this.strings = new KdlStringReader(src);
    }

    /**
     * Parses a document in the version it declares, or else as v1 and then as v2. When both fail,
     * the exception is positioned at the error of the attempt that got further, and its message
     * gives the other attempt's error too, unless both failed in the same way.
     */
    public static KdlDocument parse(String text) throws KdlParseException {
        Objects.requireNonNull(text, "text");
        Optional<KdlVersion> declared = declaredVersion(text);
        if (declared.isPresent()) {
            return parse(text, declared.get());
        }
        try {
            return parse(text, KdlVersion.V1);
        } catch (KdlParseException v1Failure) {
            try {
                return parse(text, KdlVersion.V2);
            } catch (KdlParseException v2Failure) {
                if (v2Failure.getMessage().equals(v1Failure.getMessage())) {
                    throw v1Failure;
                }
                // Which error helps depends on which version the author meant, so report both,
                // the one that got further (more likely the meant version) first.
                boolean v2Further = v2Failure.offset() > v1Failure.offset();
                KdlParseException further = v2Further ? v2Failure : v1Failure;
                KdlParseException other = v2Further ? v1Failure : v2Failure;
                throw further.withReason(further.reason() + " (" + (v2Further ? KdlVersion.V2 : KdlVersion.V1)
                        + "; as " + (v2Further ? KdlVersion.V1 : KdlVersion.V2) + ": " + other.getMessage() + ")");
            }
        }
    }

    /** Parses a document as exactly {@code version}. */
    public static KdlDocument parse(String text, KdlVersion version) throws KdlParseException {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(version, "version");
        return new KdlParser(text, version).document();
    }

    /** The version named by a {@code /- kdl-version N} marker on the first line, if there is one. */
    static Optional<KdlVersion> declaredVersion(String text) {
        Matcher marker = VERSION_MARKER.matcher(text);
        if (!marker.lookingAt()) {
            return Optional.empty();
        }
        return Optional.of(marker.group(1).equals("1") ? KdlVersion.V1 : KdlVersion.V2);
    }

    // ---------------------------------------------------------------- document and nodes

    private KdlDocument document() throws KdlParseException {
        if (src.peek() == 0xFEFF) {
            src.skip(1);
        }
        if (version == KdlVersion.V2) {
            int bad = src.firstDisallowedLiteral(src.position());
            if (bad >= 0) {
                src.reset(bad);
                throw src.error(src.describe(src.peek()) + " may not appear in a KDL v2 document;"
                        + " inside a quoted string it can be written as a \\u{...} escape");
            }
        }
        Optional<KdlVersion> declared = declaredVersion(text);
        if (declared.isPresent() && declared.get() != version) {
            throw src.errorAt(0, "the document declares kdl-version " + (declared.get() == KdlVersion.V1 ? 1 : 2)
                    + " but is being read as " + version);
        }
        List<KdlNode> nodes = nodes(0);
        if (!src.atEnd()) {
            throw src.error("unexpected '}': no children block is open");
        }
        return new KdlDocument(nodes);
    }

    /** {@code nodes}: returns at the end of input or at a '}', which the caller handles. */
    private List<KdlNode> nodes(int depth) throws KdlParseException {
        List<KdlNode> nodes = new ArrayList<>();
        while (true) {
            src.skipLineSpace();
            if (src.atEnd() || src.peek() == '}') {
                return nodes;
            }
            KdlNode node = node(depth);
            if (node != null) {
                nodes.add(node);
            }
        }
    }

    /** One node and its terminator; null when the node was commented out with {@code /-}. */
    private KdlNode node(int depth) throws KdlParseException {
        boolean discarded = slashdash();
        if (discarded && (src.atEnd() || src.peek() == '}')) {
            throw src.expected("a node after '/-'");
        }
        Optional<String> type = Optional.empty();
        if (src.peek() == '(') {
            type = Optional.of(typeAnnotation());
            spaceAfterType("the node name");
        }
        String name = identifier("a node name");
        NodeBody body = new NodeBody();
        entries(body, depth);
        terminator(depth);
        return discarded ? null : new KdlNode(type, name, body.args, body.props, body.children);
    }

    /**
     * Arguments, properties and children blocks, up to (not including) the terminator. Entries
     * must come before any children block; v1 allows one children block (which may be
     * commented out), v2 one real block among any number of commented-out ones.
     */
    private void entries(NodeBody body, int depth) throws KdlParseException {
        boolean anyChildren = false;
        while (true) {
            boolean spaced = src.skipNodeSpace();
            if (atTerminator(depth)) {
                return;
            }
            int at = src.position();
            if (src.lookingAt("/-")) {
                slashdash();
                if (src.peek() == '{') {
                    if (version == KdlVersion.V1 && anyChildren) {
                        throw src.errorAt(at, "a node has at most one children block");
                    }
                    children(depth);
                    anyChildren = true;
                } else if (atTerminator(depth)) {
                    throw src.expected("an argument, a property or a children block after '/-'");
                } else if (anyChildren) {
                    throw src.errorAt(at, "arguments and properties must come before the children block");
                } else if (version == KdlVersion.V1 && !spaced) {
                    throw src.errorAt(at, "expected white space before '/-'");
                } else {
                    entry(new NodeBody());
                }
            } else if (src.peek() == '{') {
                if (body.hasChildren || (version == KdlVersion.V1 && anyChildren)) {
                    throw src.error("a node has at most one children block");
                }
                body.children = children(depth);
                body.hasChildren = true;
                anyChildren = true;
            } else if (anyChildren) {
                throw src.expected("';' or a newline after the children block");
            } else if (!spaced) {
                throw src.expected("white space before the next argument or property");
            } else {
                entry(body);
            }
        }
    }

    private boolean atTerminator(int depth) {
        return src.atEnd() || src.peek() == ';' || src.atNewline() || src.atSingleLineComment()
                || (depth > 0 && src.peek() == '}');
    }

    private void terminator(int depth) throws KdlParseException {
        if (src.atEnd() || (depth > 0 && src.peek() == '}')) {
            return; // the '}' is consumed by the children block
        } else if (src.peek() == ';') {
            src.skip(1);
        } else if (src.atNewline()) {
            src.skipNewline();
        } else if (src.atSingleLineComment()) {
            src.skipSingleLineComment();
        } else {
            throw src.expected("';' or a newline to end the node");
        }
    }

    private List<KdlNode> children(int depth) throws KdlParseException {
        int open = src.position();
        if (depth + 1 > MAX_DEPTH) {
            throw src.error("children blocks are nested more than " + MAX_DEPTH + " deep");
        }
        src.skip(1);
        List<KdlNode> nodes = nodes(depth + 1);
        if (src.atEnd()) {
            throw src.errorAt(open, "unterminated children block: '{' has no matching '}'");
        }
        src.skip(1);
        return nodes;
    }

    /** Consumes {@code /-} and the space allowed after it; returns whether it was there. */
    private boolean slashdash() throws KdlParseException {
        if (!src.lookingAt("/-")) {
            return false;
        }
        src.skip(2);
        if (version == KdlVersion.V1) {
            src.skipNodeSpace();
        } else {
            src.skipLineSpace();
        }
        return true;
    }

    // ---------------------------------------------------------------- entries and values

    private void entry(NodeBody body) throws KdlParseException {
        int at = src.position();
        if (src.peek() == '(') {
            body.args.add(typedValue());
            if (src.peek() == '=') {
                throw src.errorAt(at, "a property name cannot have a type annotation;"
                        + " annotate the value instead: key=(type)value");
            }
        } else if (strings.atString()) {
            String text = strings.read();
            if (propertyEquals()) {
                body.props.put(text, propertyValue());
            } else {
                body.args.add(KdlString.of(text));
            }
        } else if (version.isIdentifierChar(src.peek())
                && !KdlNumberLiteral.startsNumber(src.peek(), src.peek(1))) {
            String word = bareWord();
            if (propertyEquals()) {
                checkBareIdentifier(word, at, "a property name");
                body.props.put(word, propertyValue());
            } else {
                body.args.add(bareValue(word, at, Optional.empty()));
            }
        } else {
            body.args.add(value(Optional.empty()));
            if (src.peek() == '=') {
                throw src.errorAt(at, "a property name must be a string or an identifier; quote it");
            }
        }
    }

    /** After a property name: {@code =} (v2 allows white space around it). Consumes it if there. */
    private boolean propertyEquals() throws KdlParseException {
        int mark = src.position();
        if (version == KdlVersion.V2) {
            src.skipNodeSpace();
        }
        if (src.peek() == '=') {
            src.skip(1);
            if (version == KdlVersion.V2) {
                src.skipNodeSpace();
            }
            return true;
        }
        src.reset(mark);
        return false;
    }

    private KdlValue propertyValue() throws KdlParseException {
        return src.peek() == '(' ? typedValue() : value(Optional.empty());
    }

    private KdlValue typedValue() throws KdlParseException {
        String type = typeAnnotation();
        spaceAfterType("the value");
        return value(Optional.of(type));
    }

    private KdlValue value(Optional<String> type) throws KdlParseException {
        int at = src.position();
        if (strings.atString()) {
            return new KdlString(strings.read(), type);
        } else if (version == KdlVersion.V2 && src.peek() == '#') {
            return keyword(type);
        } else if (KdlNumberLiteral.startsNumber(src.peek(), src.peek(1))) {
            String word = bareWord();
            try {
                return new KdlNumber(KdlNumberLiteral.parse(word), type);
            } catch (NumberFormatException e) {
                throw src.errorAt(at, "invalid number '" + word + "': " + e.getMessage());
            }
        } else if (version.isIdentifierChar(src.peek())) {
            return bareValue(bareWord(), at, type);
        }
        throw src.expected("a value");
    }

    /** A bare word in value position: a keyword in v1, an identifier string in v2. */
    private KdlValue bareValue(String word, int at, Optional<String> type) throws KdlParseException {
        if (version == KdlVersion.V1) {
            return switch (word) {
                case "true" -> new KdlBoolean(true, type);
                case "false" -> new KdlBoolean(false, type);
                case "null" -> new KdlNull(type);
                default -> throw src.errorAt(at, "'" + word + "' is not a value: a string must be quoted"
                        + " (\"" + word + "\"), the other values are numbers, true, false and null");
            };
        }
        if (version.reservedWords().contains(word)) {
            throw src.errorAt(at, "'" + word + "' is reserved in KDL v2: write #" + word
                    + " for the keyword or \"" + word + "\" for the string");
        }
        checkBareIdentifier(word, at, "a value");
        return new KdlString(word, type);
    }

    private KdlValue keyword(Optional<String> type) throws KdlParseException {
        int at = src.position();
        src.skip(1);
        String word = version.isIdentifierChar(src.peek()) ? bareWord() : "";
        return switch (word) {
            case "true" -> new KdlBoolean(true, type);
            case "false" -> new KdlBoolean(false, type);
            case "null" -> new KdlNull(type);
            case "inf" -> new KdlNumber(Double.POSITIVE_INFINITY, type);
            case "-inf" -> new KdlNumber(Double.NEGATIVE_INFINITY, type);
            case "nan" -> new KdlNumber(Double.NaN, type);
            default -> throw src.errorAt(at, "unknown keyword '#" + word
                    + "': the keywords are #true, #false, #null, #inf, #-inf and #nan");
        };
    }

    // ---------------------------------------------------------------- identifiers and types

    /** A node name, property name or type name: a string, or a bare identifier. */
    private String identifier(String what) throws KdlParseException {
        if (strings.atString()) {
            return strings.read();
        }
        int at = src.position();
        if (!version.isIdentifierChar(src.peek())) {
            throw src.expected(what);
        }
        String word = bareWord();
        checkBareIdentifier(word, at, what);
        return word;
    }

    private void checkBareIdentifier(String word, int at, String what) throws KdlParseException {
        if (!version.isBareIdentifier(word)) {
            throw src.errorAt(at, "'" + word + "' cannot be " + what + " without quotes; write \"" + word + "\"");
        }
    }

    /** The longest run of identifier characters at the position. */
    private String bareWord() {
        int start = src.position();
        while (version.isIdentifierChar(src.peek())) {
            src.skip(1);
        }
        return src.text(start, src.position());
    }

    private String typeAnnotation() throws KdlParseException {
        int open = src.position();
        src.skip(1);
        if (version == KdlVersion.V2) {
            src.skipNodeSpace();
        }
        String type = identifier("a type name");
        if (version == KdlVersion.V2) {
            src.skipNodeSpace();
        }
        if (src.peek() != ')') {
            throw src.expected("')' to close the type annotation opened at " + src.where(open));
        }
        src.skip(1);
        return type;
    }

    /** v2 allows white space after a type annotation; v1 wants what it annotates right after it. */
    private void spaceAfterType(String what) throws KdlParseException {
        if (version == KdlVersion.V2) {
            src.skipNodeSpace();
        } else if (src.peek() != '"' && !version.isIdentifierChar(src.peek())) {
            throw src.expected(what + " right after the type annotation (KDL v1 allows nothing between them)");
        }
    }

    /** The parts of a node collected while parsing it. */
    private static final class NodeBody {
        final List<KdlValue> args = new ArrayList<>();
        final Map<String, KdlValue> props = new LinkedHashMap<>();
        List<KdlNode> children = List.of();
        boolean hasChildren;
    }
}
