package io.zentinel.sentinel.lua.supervisor.config.kdl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The data model the parser builds, and its error messages. */
class KdlParserTest {

    @Test
    void buildsNodesWithTypeArgumentsPropertiesAndChildren() throws KdlParseException {
        KdlDocument document = KdlParser.parse("""
                (ty)parent "a" 1 key=true {
                    child null
                }
                """, KdlVersion.V1);

        KdlNode parent = document.nodes().getFirst();
        assertEquals(Optional.of("ty"), parent.type());
        assertEquals("parent", parent.name());
        assertEquals(List.of(KdlString.of("a"), KdlNumber.of(1)), parent.args());
        assertEquals(Map.of("key", KdlBoolean.of(true)), parent.props());
        assertEquals(List.of(new KdlNode(Optional.empty(), "child", List.of(KdlNull.of()), Map.of(), List.of())),
                parent.children());
    }

    @Test
    void keepsNumbersExactInTheNarrowestRepresentation() throws KdlParseException {
        List<KdlValue> args = KdlParser.parse("n 5 -0x10 9223372036854775808 1.50 1e3 0b1_1", KdlVersion.V1)
                .nodes().getFirst().args();

        assertEquals(List.of(
                KdlNumber.of(5),
                KdlNumber.of(-16),
                KdlNumber.of(new BigInteger("9223372036854775808")),
                KdlNumber.of(new BigDecimal("1.50")),
                KdlNumber.of(new BigDecimal("1E+3")),
                KdlNumber.of(3)), args);
        assertTrue(((KdlNumber) args.get(0)).isInteger());
        assertFalse(((KdlNumber) args.get(4)).isInteger());
        assertEquals(Long.class, ((KdlNumber) args.get(1)).value().getClass());
    }

    @Test
    void integerTooLargeForALongSaysSoInsteadOfWrapping() {
        KdlNumber big = KdlNumber.of(new BigInteger("9223372036854775808"));
        assertThrows(ArithmeticException.class, big::longValueExact);
        assertThrows(ArithmeticException.class, () -> KdlNumber.of(new BigDecimal("1.5")).longValueExact());
    }

    @Test
    void lastDuplicatePropertyWinsAndKeepsThePositionOfTheFirst() throws KdlParseException {
        KdlNode node = KdlParser.parse("n b=1 a=2 b=3", KdlVersion.V1).nodes().getFirst();

        assertEquals(List.of("b", "a"), List.copyOf(node.props().keySet()));
        assertEquals(Optional.of(KdlNumber.of(3)), node.prop("b"));
    }

    @Test
    void nodesAreImmutable() throws KdlParseException {
        KdlNode node = KdlParser.parse("n 1 a=2 { c }", KdlVersion.V1).nodes().getFirst();

        assertThrows(UnsupportedOperationException.class, () -> node.args().add(KdlNull.of()));
        assertThrows(UnsupportedOperationException.class, () -> node.props().put("b", KdlNull.of()));
        assertThrows(UnsupportedOperationException.class, () -> node.children().clear());
    }

    @Test
    void v1LetsTheLastNodeOfAChildrenBlockEndAtTheBrace() throws KdlParseException {
        KdlNode node = KdlParser.parse("scripts { directory \"/x\"; hot-reload true }", KdlVersion.V1)
                .nodes().getFirst();

        assertEquals(List.of("directory", "hot-reload"), node.children().stream().map(KdlNode::name).toList());
    }

    @Test
    void errorsGiveLineColumnAndWhatWasExpected() {
        KdlParseException e = assertThrows(KdlParseException.class,
                () -> KdlParser.parse("a 1\nb (t", KdlVersion.V1));

        assertEquals("2:5: expected ')' to close the type annotation opened at 2:3, found end of input",
                e.getMessage());
        assertEquals(2, e.line());
        assertEquals(5, e.column());
    }

    @Test
    void columnsCountCodePointsAndCrlfIsOneNewline() {
        KdlParseException e = assertThrows(KdlParseException.class,
                () -> KdlParser.parse("a\r\n\uD83D\uDE00 b", KdlVersion.V1));

        assertEquals("2:3: 'b' is not a value: a string must be quoted (\"b\"),"
                + " the other values are numbers, true, false and null", e.getMessage());
    }

    @Test
    void bareWordsAreValuesOnlyInV2() throws KdlParseException {
        assertEquals(List.of(KdlString.of("yes")),
                KdlParser.parse("hot-reload yes", KdlVersion.V2).nodes().getFirst().args());
        assertEquals("1:12: 'yes' is not a value: a string must be quoted (\"yes\"),"
                        + " the other values are numbers, true, false and null",
                assertThrows(KdlParseException.class, () -> KdlParser.parse("hot-reload yes", KdlVersion.V1))
                        .getMessage());
        assertEquals("1:12: 'true' is reserved in KDL v2: write #true for the keyword or \"true\" for the string",
                assertThrows(KdlParseException.class, () -> KdlParser.parse("hot-reload true", KdlVersion.V2))
                        .getMessage());
    }

    @Test
    void withoutAVersionV2IsTriedWhenV1Fails() throws KdlParseException {
        assertEquals(List.of(KdlBoolean.of(true)), KdlParser.parse("a true").nodes().getFirst().args());
        assertEquals(List.of(KdlBoolean.of(true)), KdlParser.parse("a #true").nodes().getFirst().args());
    }

    @Test
    void whenNeitherVersionParsesBothErrorsAreReported() {
        KdlParseException e = assertThrows(KdlParseException.class, () -> KdlParser.parse("a true\nb \"x"));

        assertEquals("2:3: unterminated string: the '\"' has no closing '\"' (KDL v1; as KDL v2:"
                + " 1:3: 'true' is reserved in KDL v2: write #true for the keyword or \"true\" for the string)",
                e.getMessage());
        assertEquals(2, e.line());
    }

    @Test
    void aVersionMarkerSelectsTheVersion() throws KdlParseException {
        String v2 = "/- kdl-version 2\nnode \"a\\sb\"\n";

        assertEquals(List.of(KdlString.of("a b")), KdlParser.parse(v2).nodes().getFirst().args());
        assertEquals("1:1: the document declares kdl-version 2 but is being read as KDL v1",
                assertThrows(KdlParseException.class, () -> KdlParser.parse(v2, KdlVersion.V1)).getMessage());
    }

    @Test
    void v2MultiLineStringsLoseTheClosingLinesIndentation() throws KdlParseException {
        String text = "node \"\"\"\n    first\n      second\n\n    \"\"\"\n";

        assertEquals(List.of(KdlString.of("first\n  second\n")),
                KdlParser.parse(text, KdlVersion.V2).nodes().getFirst().args());
    }

    @Test
    void slashdashCommentsOutNodesArgumentsPropertiesAndChildren() throws KdlParseException {
        KdlDocument document = KdlParser.parse("/- gone 1\nkept /- 1 2 /- a=1 b=2 /- { x }\n", KdlVersion.V1);

        assertEquals(List.of(new KdlNode(Optional.empty(), "kept", List.of(KdlNumber.of(2)),
                Map.of("b", KdlNumber.of(2)), List.of())), document.nodes());
    }

    @Test
    void aClosingBraceWithoutAnOpeningOneIsRejected() {
        assertEquals("2:1: unexpected '}': no children block is open",
                assertThrows(KdlParseException.class, () -> KdlParser.parse("a\n}", KdlVersion.V1)).getMessage());
    }
}
