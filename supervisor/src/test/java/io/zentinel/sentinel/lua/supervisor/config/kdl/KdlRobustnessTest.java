package io.zentinel.sentinel.lua.supervisor.config.kdl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Whatever the input, the parser returns a document or throws {@link KdlParseException}: no other
 * exception, no stack overflow, no hang. The corpus-based tests damage the specification's cases
 * (every prefix, and seeded random edits); the others build hostile input directly.
 */
class KdlRobustnessTest {

    /** Characters that matter to the grammar, for random edits. */
    private static final String EDITS = "\"\\/-*#r(){};= \t\r\n0.e_xab+u\u000B\u0085\u2028\uFEFF\u200E";

    @Test
    void everyPrefixOfEveryConformanceCaseParsesOrIsRejectedCleanly() {
        List<String> texts = corpus();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            int checked = 0;
            for (String text : texts) {
                for (int end = 0; end <= text.length(); end++) {
                    checked += parsesOrRejectsCleanly(text.substring(0, end));
                }
            }
            assertTrue(checked > 10_000, "checked " + checked + " parses");
        });
    }

    @Test
    void randomEditsOfTheConformanceCasesParseOrAreRejectedCleanly() {
        List<String> texts = corpus();
        Random random = new Random(20261125);
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (String text : texts) {
                for (int round = 0; round < 50; round++) {
                    StringBuilder edited = new StringBuilder(text);
                    for (int edit = random.nextInt(3); edit >= 0; edit--) {
                        int at = random.nextInt(edited.length() + 1);
                        char c = EDITS.charAt(random.nextInt(EDITS.length()));
                        if (at == edited.length() || random.nextBoolean()) {
                            edited.insert(at, c);
                        } else {
                            edited.setCharAt(at, c);
                        }
                    }
                    parsesOrRejectsCleanly(edited.toString());
                }
            }
        });
    }

    @Test
    void nestingDeeperThanTheLimitIsRejectedWithoutOverflowingTheStack() {
        String deep = "a {".repeat(200_000);
        KdlParseException e = assertThrows(KdlParseException.class, () -> KdlParser.parse(deep, KdlVersion.V1));
        assertEquals("1:303: children blocks are nested more than 100 deep", e.getMessage());
    }

    @Test
    void nestingUpToTheLimitIsAccepted() throws KdlParseException {
        String text = "a {".repeat(KdlParser.MAX_DEPTH) + "}".repeat(KdlParser.MAX_DEPTH);
        KdlNode node = KdlParser.parse(text).nodes().getFirst();
        int depth = 0;
        while (!node.children().isEmpty()) {
            node = node.children().getFirst();
            depth++;
        }
        assertEquals(KdlParser.MAX_DEPTH - 1, depth);
    }

    @Test
    void deeplyNestedCommentsAreSkippedWithoutRecursion() throws KdlParseException {
        String text = "/*".repeat(100_000) + "*/".repeat(100_000) + " node";
        assertEquals(List.of(KdlNode.named("node")), KdlParser.parse(text, KdlVersion.V1).nodes());
    }

    @Test
    void unterminatedConstructsAreRejectedAtTheirOpening() {
        assertEquals("1:6: unterminated comment: '/*' has no matching '*/'",
                rejectV1("node /* /* */ \"x\""));
        assertEquals("1:6: unterminated string: the '\"' has no closing '\"'", rejectV1("node \"abc"));
        assertEquals("1:6: unterminated raw string: expected '\"#' to close it", rejectV1("node r#\"abc\""));
        assertEquals("1:6: unterminated children block: '{' has no matching '}'", rejectV1("node {\n child\n"));
    }

    @Test
    void hugeNumbersStayExactOrAreRejectedCleanly() throws KdlParseException {
        String digits = "9".repeat(5_000);
        KdlValue big = KdlParser.parse("n " + digits).nodes().getFirst().args().getFirst();
        assertEquals(digits, KdlPrinter.value(big, KdlVersion.V1));
        assertEquals("1:3: invalid number '1e99999999999': its exponent is out of range",
                rejectV1("n 1e99999999999"));
    }

    @Test
    void everyControlCharacterParsesOrIsRejectedCleanly() {
        for (int cp = 0; cp < 0x100; cp++) {
            String c = Character.toString(cp);
            parsesOrRejectsCleanly("node " + c);
            parsesOrRejectsCleanly("node \"" + c + "\"");
            parsesOrRejectsCleanly(c + "node");
        }
    }

    private static String rejectV1(String text) {
        return assertThrows(KdlParseException.class, () -> KdlParser.parse(text, KdlVersion.V1)).getMessage();
    }

    /** Parses {@code text} in both versions and with fallback; returns the number of parses. */
    private static int parsesOrRejectsCleanly(String text) {
        for (KdlVersion version : KdlVersion.values()) {
            try {
                KdlPrinter.print(KdlParser.parse(text, version), version);
            } catch (KdlParseException expected) {
                // a clean rejection
            } catch (RuntimeException | StackOverflowError e) {
                fail("input " + text.replace("\n", "\\n") + " as " + version + " threw " + e, e);
            }
        }
        try {
            KdlParser.parse(text);
        } catch (KdlParseException expected) {
            // a clean rejection
        } catch (RuntimeException | StackOverflowError e) {
            fail("input " + text.replace("\n", "\\n") + " threw " + e, e);
        }
        return 3;
    }

    private static List<String> corpus() {
        List<String> texts = new ArrayList<>();
        for (String folder : List.of("v1", "v2")) {
            for (Path input : KdlConformanceTest.inputs(folder)) {
                try {
                    texts.add(KdlConformanceTest.read(input));
                } catch (IOException e) {
                    throw new IllegalStateException("cannot read " + input, e);
                }
            }
        }
        return texts;
    }
}
