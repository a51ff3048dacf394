package io.zentinel.sentinel.lua.supervisor.config.kdl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KdlPrinterTest {

    @Test
    void printsTheCanonicalFormWithSortedPropertiesAndFourSpaceIndents() {
        KdlNode child = new KdlNode(Optional.empty(), "child", List.of(), Map.of(), List.of());
        KdlNode parent = new KdlNode(Optional.of("t"), "parent", List.of(KdlString.of("x"), KdlNumber.of(1)),
                Map.of("z", KdlBoolean.of(false), "a", KdlNull.of()), List.of(child));

        assertEquals("(t)parent \"x\" 1 a=null z=false {\n    child\n}\n",
                KdlPrinter.print(new KdlDocument(List.of(parent)), KdlVersion.V1));
        assertEquals("(t)parent x 1 a=#null z=#false {\n    child\n}\n",
                KdlPrinter.print(new KdlDocument(List.of(parent)), KdlVersion.V2));
    }

    @Test
    void anEmptyDocumentIsOneNewline() {
        assertEquals("\n", KdlPrinter.print(new KdlDocument(List.of()), KdlVersion.V1));
    }

    @Test
    void quotesIdentifiersThatCannotBeBare() {
        assertEquals("node", KdlPrinter.identifier("node", KdlVersion.V1));
        assertEquals("\"0node\"", KdlPrinter.identifier("0node", KdlVersion.V1));
        assertEquals("\"true\"", KdlPrinter.identifier("true", KdlVersion.V1));
        assertEquals("\"two words\"", KdlPrinter.identifier("two words", KdlVersion.V1));
        assertEquals("\"\"", KdlPrinter.identifier("", KdlVersion.V1));
        assertEquals("a<b>", KdlPrinter.identifier("a<b>", KdlVersion.V2));
        assertEquals("\"a<b>\"", KdlPrinter.identifier("a<b>", KdlVersion.V1));
    }

    @Test
    void escapesControlCharactersAndNewlines() {
        assertEquals("\"q\\\" b\\\\ \\n\\t\\u{1}\\u{2028}/\"",
                KdlPrinter.value(KdlString.of("q\" b\\ \n\t\u0001\u2028/"), KdlVersion.V1));
    }

    @Test
    void decimalsStayDecimalsAndNonFiniteNumbersUseTheV2Keywords() {
        assertEquals("25.0", KdlPrinter.value(KdlNumber.of(new BigDecimal("2.5E1")), KdlVersion.V1));
        assertEquals("1.0E+10", KdlPrinter.value(KdlNumber.of(new BigDecimal("1.0e10")), KdlVersion.V1));
        assertEquals("#-inf", KdlPrinter.value(new KdlNumber(Double.NEGATIVE_INFINITY, Optional.empty()),
                KdlVersion.V1));
        assertEquals("(u8)7", KdlPrinter.value(new KdlNumber(7L, Optional.of("u8")), KdlVersion.V1));
    }
}
