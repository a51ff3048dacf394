package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassArchiveTest {

    @Test
    void theReasonIsTheJvmsFirstWarningOrErrorWithoutItsDecoration() {
        assertEquals("Dynamic archive cannot be used: static archive header checksum verification failed.",
                ClassArchive.reason("""
                        [0.003s][warning][cds] Dynamic archive cannot be used: static archive header checksum verification failed.
                        [0.003s][error  ][cds] An error has occurred while processing the shared archive file.
                        Error occurred during initialization of VM
                        """, 1));
        assertEquals("Unable to use shared archive.", ClassArchive.reason("Error occurred during initialization of VM\n"
                + "Unable to use shared archive.\n", 1));
        assertEquals("the JVM exited with status 1", ClassArchive.reason("\n", 1));
    }

    @Test
    void aJvmThatCannotMapTheArchiveNamesWhy(@TempDir Path dir) throws Exception {
        Path garbage = Files.write(dir.resolve("worker.jsa"), new byte[64 * 1024]);
        List<String> command = new WorkerLauncher(WorkerRuntime.fromSystemProperties(), new TestConfig().build())
                .command();

        Optional<String> refused = ClassArchive.refusal(command, garbage);

        assertTrue(refused.isPresent());
        assertTrue(refused.get().startsWith("The shared archive file has a bad magic number"), refused.get());
    }

    @Test
    void withoutThePropertyOrTheFileTheRuntimeIsLeftAsItIs(@TempDir Path dir) {
        WorkerRuntime runtime = new WorkerRuntime("/opt/jdk/bin/java", "a.jar", List.of("-Dx=1"));
        String before = System.getProperty(ClassArchive.PROPERTY);
        try {
            System.clearProperty(ClassArchive.PROPERTY);
            assertSame(runtime, ClassArchive.applyTo(runtime, new TestConfig().build()));
            System.setProperty(ClassArchive.PROPERTY, dir.resolve("worker.jsa").toString());
            assertSame(runtime, ClassArchive.applyTo(runtime, new TestConfig().build()));
        } finally {
            if (before == null) {
                System.clearProperty(ClassArchive.PROPERTY);
            } else {
                System.setProperty(ClassArchive.PROPERTY, before);
            }
        }
    }

    @Test
    void trainingWritesTheArchiveAtExitAndKeepsTheJvmsNotesOutOfTheLog() {
        assertEquals(List.of("-XX:ArchiveClassesAtExit=/x/worker.jsa", "-Xlog:cds*=error:stderr"),
                ClassArchive.trainingFlags(Path.of("/x/worker.jsa")));
        assertEquals("-XX:SharedArchiveFile=/x/worker.jsa", ClassArchive.useFlag(Path.of("/x/worker.jsa")));
    }

    @Test
    void aWildcardEntryBecomesTheDirectorysJarsSortedByName(@TempDir Path dir) throws Exception {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        for (String name : List.of("slf4j-api.jar", "b.JAR", "a.jar", "worker.jsa", "notes.txt")) {
            Files.writeString(lib.resolve(name), "");
        }
        Files.createDirectories(lib.resolve("sub.jar"));
        String sep = File.pathSeparator;

        String expanded = WorkerRuntime.expandWildcards("/opt/x.jar" + sep + lib + File.separator + "*" + sep
                + dir.resolve("missing") + File.separator + "*");

        List<String> expected = new ArrayList<>(List.of("/opt/x.jar"));
        expected.addAll(List.of(lib.resolve("a.jar").toString(), lib.resolve("b.JAR").toString(),
                lib.resolve("slf4j-api.jar").toString()));
        assertEquals(String.join(sep, expected), expanded);
        assertEquals("/a.jar" + sep + "/b", WorkerRuntime.expandWildcards("/a.jar" + sep + sep + "/b"));
    }
}
