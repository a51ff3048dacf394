package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassArchiveTest {

    @Test
    void aJvmThatHangsIsKilledAfterTheTimeoutAndAFailingOneIsReadFromItsOutput() {
        // the last element stands for the main class, which run() replaces with its tail
        assertEquals(Optional.of("the JVM did not finish within PT0.5S"), ClassArchive.run(
                List.of("sh", "-c", "echo started; sleep 30", "Main"), List.of(), List.of(), Duration.ofMillis(500)));
        assertEquals(Optional.of("Unable to use shared archive."), ClassArchive.run(
                List.of("sh", "-c", "echo Error occurred during initialization of VM; echo Unable to use shared archive.;"
                        + " exit 1", "Main"), List.of(), List.of(), Duration.ofSeconds(30)));
    }

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
        assertEquals("the JVM crashed: Internal Error (archiveHeapWriter.cpp:312), pid=7, tid=8"
                + " guarantee(obj->has_been_buffered()) failed: sanity", ClassArchive.reason("""
                        Reading AOTConfiguration w.record and writing AOTCache w.aot
                        #
                        # A fatal error has been detected by the Java Runtime Environment:
                        #
                        #  Internal Error (archiveHeapWriter.cpp:312), pid=7, tid=8
                        #  guarantee(obj->has_been_buffered()) failed: sanity
                        #
                        # JRE version: OpenJDK Runtime Environment (25.0.3+9) (build 25.0.3+9-LTS)
                        #
                        """, 134));
    }

    @Test
    void aJvmThatCannotMapTheArchiveNamesWhy(@TempDir Path dir) throws Exception {
        Path garbage = Files.write(dir.resolve("worker.jsa"), new byte[64 * 1024]);
        List<String> command = new WorkerLauncher(WorkerRuntime.fromSystemProperties(), new TestConfig().build())
                .command();

        Optional<String> refused = ClassArchive.refusal(command, garbage);

        assertTrue(refused.isPresent());
        String expected = switch (ArchiveFormat.current()) {
            case APP_CDS -> "The shared archive file has a bad magic number";
            case AOT_CACHE -> "The AOT cache has a bad magic number";
        };
        assertTrue(refused.get().startsWith(expected), refused.get());
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
    void theRuntimesVersionDecidesTheFormat() {
        assertEquals(ArchiveFormat.APP_CDS, ArchiveFormat.of(21));
        assertEquals(ArchiveFormat.APP_CDS, ArchiveFormat.of(24));
        assertEquals(ArchiveFormat.AOT_CACHE, ArchiveFormat.of(25));
        assertEquals(ArchiveFormat.AOT_CACHE, ArchiveFormat.of(26));
        assertEquals(ArchiveFormat.of(Runtime.version().feature()), ArchiveFormat.current());
    }

    @Test
    void anAppCdsArchiveIsWrittenByTheTrainingJvmAsItExits() {
        Path archive = Path.of("/x/worker.jsa");
        ArchiveFormat format = ArchiveFormat.APP_CDS;

        assertEquals(List.of("-XX:ArchiveClassesAtExit=/x/worker.jsa", "-Xlog:cds*=error:stderr"),
                format.trainingFlags(archive));
        assertEquals(List.of(), format.assemblyFlags(archive));
        assertEquals(List.of("-XX:SharedArchiveFile=/x/worker.jsa"), format.useFlags(archive));
        assertEquals(List.of("-Xshare:on", "-XX:SharedArchiveFile=/x/worker.jsa"), format.strictUseFlags(archive));
    }

    @Test
    void anAotCacheIsAssembledFromTheTrainingJvmsRecordByASecondJvm() {
        Path archive = Path.of("/x/worker.jsa");
        ArchiveFormat format = ArchiveFormat.AOT_CACHE;

        assertEquals(Path.of("/x/worker.jsa.record"), ArchiveFormat.record(archive));
        assertEquals(List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=/x/worker.jsa.record",
                "-Xlog:aot*=error:stderr", "-Xlog:cds*=error:stderr"), format.trainingFlags(archive));
        assertEquals(List.of("-XX:AOTMode=create", "-XX:AOTConfiguration=/x/worker.jsa.record",
                "-XX:AOTCache=/x/worker.jsa", "-Xlog:aot*=error:stderr", "-Xlog:cds*=error:stderr"),
                format.assemblyFlags(archive));
        assertEquals(List.of("-XX:AOTCache=/x/worker.jsa"), format.useFlags(archive));
        assertEquals(List.of("-XX:AOTMode=on", "-XX:AOTCache=/x/worker.jsa"), format.strictUseFlags(archive));
    }

    @Test
    void anArchiveIsOnlyUsedWithTheJarsItWasWrittenWith(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.jar"), "aaa");
        Path b = Files.writeString(dir.resolve("b.jar"), "bb");
        String classpath = a + File.pathSeparator + b;
        Path archive = dir.resolve("worker.jsa");
        assertEquals(dir.resolve("worker.jsa.jars"), ClassArchive.jarList(archive));

        assertEquals(Optional.of("there is no list of the jars it was written with (" + dir.resolve("worker.jsa.jars")
                + ")"), ClassArchive.changedJars(archive, classpath));

        Files.writeString(ClassArchive.jarList(archive), ClassArchive.describeJars(classpath));
        assertEquals(Optional.empty(), ClassArchive.changedJars(archive, classpath));
        long time = Files.getLastModifiedTime(b).toMillis();
        assertEquals("a.jar 3 " + Files.getLastModifiedTime(a).toMillis() + "\nb.jar 2 " + time + "\n",
                ClassArchive.describeJars(classpath));

        Files.writeString(b, "bbbb");
        Files.setLastModifiedTime(b, FileTime.fromMillis(time));
        assertEquals(Optional.of("the worker jars changed since it was written (name, size, time: b.jar 2 " + time
                + " became b.jar 4 " + time + ")"), ClassArchive.changedJars(archive, classpath));

        Files.writeString(b, "bb");
        Files.setLastModifiedTime(b, FileTime.fromMillis(time + 1000));
        assertTrue(ClassArchive.changedJars(archive, classpath).orElseThrow().endsWith(
                "b.jar 2 " + time + " became b.jar 2 " + (time + 1000) + ")"));

        Files.setLastModifiedTime(b, FileTime.fromMillis(time));
        assertTrue(ClassArchive.changedJars(archive, classpath + File.pathSeparator + a).orElseThrow().endsWith(
                "became a.jar 3 " + Files.getLastModifiedTime(a).toMillis() + ")"));
        assertTrue(ClassArchive.changedJars(archive, a.toString()).orElseThrow().endsWith(
                "b.jar 2 " + time + " became no jar)"));
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
