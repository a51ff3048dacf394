package io.zentinel.sentinel.lua.supervisor.config.kdl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The KDL specification's own test cases (kdl-org/kdl, {@code tests/test_cases}), read from the
 * shared folder beside the project; they are CC BY-SA licensed and not copied into it.
 *
 * <p>{@code input/NAME.kdl} must parse and print as {@code expected_kdl/NAME.kdl} in the canonical
 * form, or, where that file does not exist, fail with a {@link KdlParseException}.
 */
class KdlConformanceTest {

    /** Surefire runs in the module directory: supervisor/ → project root → its parent. */
    static final Path CASES = Path.of("..", "..", "shared", "kdl-tests");

    @TestFactory
    Stream<DynamicTest> everyV1CaseParsesAsSpecifiedOrIsRejected() {
        return cases("v1", KdlVersion.V1);
    }

    @TestFactory
    Stream<DynamicTest> everyV2CaseParsesAsSpecifiedOrIsRejected() {
        return cases("v2", KdlVersion.V2);
    }

    /**
     * Reading without naming a version (v1, then v2) yields the specified document for every
     * valid case of either version: the fallback never changes what a document means.
     */
    @TestFactory
    Stream<DynamicTest> readingWithFallbackGivesEveryValidCaseItsSpecifiedMeaning() {
        List<Path> v1 = inputs("v1");
        List<Path> v2 = inputs("v2");
        return Stream.concat(
                fallbackCases(v1, KdlVersion.V1),
                fallbackCases(v2, KdlVersion.V2));
    }

    private static Stream<DynamicTest> fallbackCases(List<Path> inputs, KdlVersion version) {
        return inputs.stream()
                .filter(input -> Files.exists(expectedFor(input)))
                .map(input -> DynamicTest.dynamicTest(version + " " + input.getFileName(), input.toUri(),
                        () -> assertEquals(read(expectedFor(input)),
                                KdlPrinter.print(KdlParser.parse(read(input)), version))));
    }

    private static Stream<DynamicTest> cases(String folder, KdlVersion version) {
        return inputs(folder).stream().map(input -> DynamicTest.dynamicTest(
                folder + "/" + input.getFileName(), input.toUri(), () -> check(input, version)));
    }

    private static void check(Path input, KdlVersion version) throws IOException, KdlParseException {
        String text = read(input);
        Path expected = expectedFor(input);
        if (Files.exists(expected)) {
            assertEquals(read(expected), KdlPrinter.print(KdlParser.parse(text, version), version));
        } else {
            KdlParseException rejected = assertThrows(KdlParseException.class, () -> KdlParser.parse(text, version));
            assertTrue(rejected.getMessage().startsWith(rejected.line() + ":" + rejected.column() + ": "),
                    rejected.getMessage());
        }
    }

    static List<Path> inputs(String folder) {
        Path inputs = CASES.resolve(folder).resolve("input");
        Assumptions.assumeTrue(Files.isDirectory(inputs), "KDL conformance cases not found at "
                + inputs.toAbsolutePath().normalize()
                + ": they live in the shared folder beside the project, present in CI");
        try (Stream<Path> files = Files.list(inputs)) {
            return files.filter(f -> f.toString().endsWith(".kdl")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + inputs, e);
        }
    }

    static Path expectedFor(Path input) {
        return input.getParent().resolveSibling("expected_kdl").resolve(input.getFileName());
    }

    static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
