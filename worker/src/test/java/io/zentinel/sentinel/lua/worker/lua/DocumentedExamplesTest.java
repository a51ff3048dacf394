package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.zentinel.sentinel.lua.worker.lua.LuaCodeBlocks.Block;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code ```lua} block of {@code README.md} and {@code docs/lua-stdlib.md} runs in a real
 * sandboxed {@link LuaVm} and gives what it says.
 *
 * <p>The convention the documents follow (README, "Writing scripts"):
 * <ul>
 * <li>{@code CODE --> VALUES}: the call or assignment on the left gives the values on the right,
 *     written as Lua expressions ({@code "text"}, {@code 42}, {@code nil}, {@code {1, 2}},
 *     {@code json.null}). A wrong value fails the test, and so does a check that never runs.</li>
 * <li>{@code --> DECISION} on a line of its own, after a script: the decision the agent sends for
 *     the example transaction the README describes ({@link ExampleRunner#request()}).</li>
 * <li>{@value LuaCodeBlocks#NOT_RUN} on the line before a block leaves it out; kept for
 *     listings that cannot run, and kept few ({@link #MAX_NOT_RUN}).</li>
 * </ul>
 * {@link ExampleRunner} says how a block runs; {@link LuaCodeBlocksTest} shows that the checks
 * catch wrong values.
 */
class DocumentedExamplesTest {
    static final List<String> DOCUMENTS = List.of("README.md", "docs/lua-stdlib.md");
    static final int MAX_NOT_RUN = 2;

    /** The project root: the nearest directory, from the working directory up, with README.md and worker/pom.xml. */
    static Path projectRoot() {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isRegularFile(dir.resolve("worker/pom.xml"))) {
                return dir;
            }
        }
        return fail("README.md not found: no directory from " + start
                + " upwards holds both README.md and worker/pom.xml");
    }

    static List<Block> blocks() throws IOException {
        Path root = projectRoot();
        List<Block> blocks = new ArrayList<>();
        for (String document : DOCUMENTS) {
            Path file = root.resolve(document);
            assertTrue(Files.isRegularFile(file), "missing " + file);
            blocks.addAll(LuaCodeBlocks.parse(document, Files.readString(file, StandardCharsets.UTF_8)));
        }
        return blocks;
    }

    @TestFactory
    Stream<DynamicTest> everyLuaBlockRunsAndGivesWhatItSays() throws IOException {
        return blocks().stream().filter(Block::run).map(block -> DynamicTest.dynamicTest(block.toString(), () -> {
            List<String> problems = ExampleRunner.run(block);
            if (!problems.isEmpty()) {
                fail(String.join("\n", problems) + "\n--- the block:\n" + block.text());
            }
        }));
    }

    @Test
    void bothDocumentsHaveCheckedExamples() throws IOException {
        for (String document : DOCUMENTS) {
            List<Block> run = blocks().stream().filter(b -> b.source().equals(document) && b.run()).toList();
            long checks = run.stream().mapToLong(b -> LuaCodeBlocks.checks(b.text()).size()).sum();
            assertTrue(run.size() >= 8, document + " has only " + run.size() + " Lua blocks that run");
            assertTrue(checks >= 30, document + " has only " + checks + " checked results");
        }
    }

    @Test
    void fewBlocksAreLeftOut() throws IOException {
        List<String> notRun = blocks().stream().filter(b -> !b.run()).map(Block::toString).toList();
        assertTrue(notRun.size() <= MAX_NOT_RUN, "blocks marked " + LuaCodeBlocks.NOT_RUN + ": " + notRun);
    }
}
