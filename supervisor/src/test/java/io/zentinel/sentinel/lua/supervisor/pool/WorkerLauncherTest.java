package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.cgroup.WorkerCgroup;
import io.zentinel.sentinel.lua.supervisor.cgroup.WorkerCgroups;
import io.zentinel.sentinel.lua.supervisor.config.WorkerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class WorkerLauncherTest {

    @Test
    void commandLineHasTheHeapTheFixedFlagsTheLogLevelTheExtraArgsAndTheMainClass() {
        TestConfig config = new TestConfig();
        config.heapBytes = 48L * 1024 * 1024;
        config.logLevel = "debug";
        config.maxExecutions = 100_000_000;
        WorkerRuntime runtime = new WorkerRuntime("/opt/jdk/bin/java", "/usr/lib/agent/worker/a.jar:/usr/lib/agent/worker/b.jar",
                List.of("-XX:AOTCache=/var/cache/agent/worker.aot"));

        List<String> command = new WorkerLauncher(runtime, config.build()).command();

        List<String> expected = new ArrayList<>(List.of(
                "/opt/jdk/bin/java",
                "-Xmx50331648",
                "-Xss1m",
                "-XX:MaxMetaspaceSize=64m",
                "-XX:+UseSerialGC",
                "-XX:ReservedCodeCacheSize=24m",
                "-XX:+ExitOnOutOfMemoryError",
                "-XX:ActiveProcessorCount=1",
                "-XX:+DisplayVMOutputToStderr",
                "-Xlog:disable",
                "-Xlog:all=warning:stderr",
                "-XX:-UsePerfData",
                "-XX:+DisableAttachMechanism",
                "-XX:-CreateCoredumpOnCrash",
                "-Djava.awt.headless=true",
                "-Dfile.encoding=UTF-8",
                "-Dorg.slf4j.simpleLogger.logFile=System.err",
                "-Dorg.slf4j.simpleLogger.levelInBrackets=true",
                "-Dorg.slf4j.simpleLogger.showDateTime=false",
                "-Dorg.slf4j.simpleLogger.showThreadName=false"));
        expected.addAll(WorkerLauncher.nativeHeapTrimFlags(Runtime.version()));
        expected.addAll(List.of(
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=debug",
                "-XX:AOTCache=/var/cache/agent/worker.aot",
                "-cp",
                "/usr/lib/agent/worker/a.jar:/usr/lib/agent/worker/b.jar",
                "io.zentinel.sentinel.lua.worker.WorkerMain"));
        assertEquals(expected, command);
    }

    private static WorkerConfig retiredAfter(Duration maxAge, long maxExecutions) {
        WorkerConfig d = WorkerConfig.defaults();
        return new WorkerConfig(d.count(), d.vmsPerWorker(), d.heapBytes(), d.memoryBytes(), d.cpuPercent(),
                d.pidsMax(), d.startTimeout(), d.killGrace(), d.heartbeatInterval(), d.nice(), d.cpuSeconds(), maxAge,
                maxExecutions, 0);
    }

    @Test
    void workersRetiredSoonCompileWithC1Alone() {
        List<String> c1 = List.of("-XX:TieredStopAtLevel=1");
        Duration hour = Duration.ofHours(1);

        assertEquals(c1, WorkerLauncher.compilerFlags(retiredAfter(hour, 1000)));
        assertEquals(c1, WorkerLauncher.compilerFlags(retiredAfter(hour, 99_999)));
        assertEquals(List.of(), WorkerLauncher.compilerFlags(retiredAfter(hour, 100_000)));
        assertEquals(c1, WorkerLauncher.compilerFlags(retiredAfter(Duration.ofSeconds(59), 100_000_000)));
        assertEquals(List.of(), WorkerLauncher.compilerFlags(retiredAfter(Duration.ofMinutes(1), 100_000)));

        TestConfig config = new TestConfig();
        config.maxExecutions = 1000;
        WorkerLauncher shortLived = new WorkerLauncher(WorkerRuntime.fromSystemProperties(), config.build());
        assertTrue(shortLived.command().contains("-XX:TieredStopAtLevel=1"));
        assertTrue(shortLived.describeCompilers().startsWith("C1 alone: they are retired after 1000 executions or PT1H"),
                shortLived.describeCompilers());
        config.maxExecutions = 100_000;
        WorkerLauncher longLived = new WorkerLauncher(WorkerRuntime.fromSystemProperties(), config.build());
        assertEquals("C1, then C2 for the hot code", longLived.describeCompilers());
    }

    @Test
    void workersTrimTheirCHeapOnRuntimesFrom21Point0Point1On() {
        List<String> trim = List.of("-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=1000");

        assertEquals(List.of(), WorkerLauncher.nativeHeapTrimFlags(Runtime.Version.parse("21+35")));
        assertEquals(trim, WorkerLauncher.nativeHeapTrimFlags(Runtime.Version.parse("21.0.1+12")));
        assertEquals(trim, WorkerLauncher.nativeHeapTrimFlags(Runtime.Version.parse("25.0.3+9")));
    }

    @Test
    void theWorkerEnvironmentKeepsOnlyTheListedVariables() {
        ProcessBuilder builder = WorkerLauncher.processBuilder(List.of("java"));

        assertTrue(WorkerLauncher.INHERITED_ENVIRONMENT.containsAll(builder.environment().keySet()),
                builder.environment().keySet().toString());
        assertEquals(ProcessBuilder.Redirect.PIPE, builder.redirectOutput());
        assertEquals(ProcessBuilder.Redirect.PIPE, builder.redirectError());
    }

    @ParameterizedTest(name = "max-executions {0}")
    @ValueSource(longs = {1000, 100_000_000})
    void theRunningJvmAcceptsEveryFlagAndWritesNothingToStdoutButTheProgramsOutput(long maxExecutions) throws Exception {
        TestConfig config = new TestConfig();
        config.heapBytes = 32L * 1024 * 1024;
        config.maxExecutions = maxExecutions; // C1 alone, and C1 then C2
        List<String> command = new ArrayList<>(new WorkerLauncher(WorkerRuntime.fromSystemProperties(), config.build())
                .command());
        command.set(command.size() - 1, JvmFlagsProbe.class.getName());

        Process process = WorkerLauncher.processBuilder(command).start();
        process.getOutputStream().close();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));

        assertEquals(0, process.exitValue(), stderr);
        assertEquals("", stderr);
        assertTrue(stdout.matches("max-heap=\\d+ processors=1\\R"), stdout);
        long maxHeap = Long.parseLong(stdout.substring("max-heap=".length(), stdout.indexOf(' ')));
        assertTrue(maxHeap <= 32L * 1024 * 1024, "max heap " + maxHeap);
    }

    @Test
    void aJvmHandedAClassArchiveItCannotMapRunsWithoutItAndKeepsStdoutClean(@TempDir Path dir) throws Exception {
        Path garbage = Files.write(dir.resolve("worker.jsa"), new byte[64 * 1024]);
        WorkerRuntime system = WorkerRuntime.fromSystemProperties();
        WorkerRuntime runtime = new WorkerRuntime(system.javaCommand(), system.classpath(),
                ClassArchive.useFlags(garbage));
        List<String> command = new ArrayList<>(new WorkerLauncher(runtime, new TestConfig().build()).command());
        command.set(command.size() - 1, JvmFlagsProbe.class.getName());

        Process process = WorkerLauncher.processBuilder(command).start();
        process.getOutputStream().close();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));

        assertEquals(0, process.exitValue(), stderr);
        assertTrue(stdout.matches("max-heap=\\d+ processors=1\\R"), stdout);
        String warning = switch (ArchiveFormat.current()) {
            case APP_CDS -> "Not a valid shared archive file (" + garbage + ")";
            case AOT_CACHE -> "The AOT cache has a bad magic number";
        };
        assertTrue(stderr.contains(warning), stderr);
    }

    @Test
    void launchingAMissingJavaFailsWithAnIOException() {
        WorkerRuntime runtime = new WorkerRuntime("/nonexistent/bin/java", "x.jar", List.of());
        WorkerLauncher launcher = new WorkerLauncher(runtime, new TestConfig().build());

        IOException e = assertThrows(IOException.class, () -> launcher.launch(1));

        assertTrue(e.getMessage().startsWith("Cannot run program \"/nonexistent/bin/java\""), e.getMessage());
    }

    @Test
    void theWorkerClasspathComesFromItsPropertyElseFromTheSupervisorsOwn(@TempDir Path dir) throws Exception {
        Path lib = Files.createDirectories(dir.resolve("worker"));
        Files.writeString(lib.resolve("worker.jar"), "");
        Files.writeString(lib.resolve("luaj.jar"), "");
        WorkerRuntime distribution = WorkerRuntime.fromProperties(Map.of(
                "sentinel.lua.worker.classpath", lib + "/*",
                "java.class.path", "/usr/lib/agent/supervisor/*")::get);
        WorkerRuntime tests = WorkerRuntime.fromProperties(Map.of("java.class.path", "target/test-classes")::get);

        assertEquals(lib.resolve("luaj.jar") + ":" + lib.resolve("worker.jar"), distribution.classpath(),
                "the jars, in a fixed order");
        assertEquals("target/test-classes", tests.classpath());
        assertEquals(WorkerRuntime.currentJava(), tests.javaCommand());
        assertEquals(List.of(), tests.extraJvmArgs());
    }

    @Test
    void extraWorkerFlagsComeFromTheirPropertySplitOnWhitespace() {
        WorkerRuntime runtime = WorkerRuntime.fromProperties(Map.of(
                "java.class.path", "x.jar",
                "sentinel.lua.worker.jvm-options", " -XX:AOTCache=/var/cache/w.aot\t -Xlog:disable ")::get);
        WorkerRuntime blank = WorkerRuntime.fromProperties(Map.of(
                "java.class.path", "x.jar", "sentinel.lua.worker.jvm-options", "  ")::get);

        assertEquals(List.of("-XX:AOTCache=/var/cache/w.aot", "-Xlog:disable"), runtime.extraJvmArgs());
        assertEquals(List.of(), blank.extraJvmArgs());
    }

    @Test
    void aRuntimeNeedsAJavaCommandAndAClasspath() {
        IllegalArgumentException noJava = assertThrows(IllegalArgumentException.class,
                () -> new WorkerRuntime(" ", "x.jar", List.of()));
        IllegalArgumentException noClasspath = assertThrows(IllegalArgumentException.class,
                () -> WorkerRuntime.fromProperties(Map.<String, String>of()::get));

        assertEquals("javaCommand must not be empty", noJava.getMessage());
        assertEquals("classpath must not be empty", noClasspath.getMessage());
    }

    /** Cgroups whose "cgroup.procs" is an ordinary file: records the placement and the removal. */
    private static final class FileCgroups implements WorkerCgroups {
        final Path procs;
        final CompletableFuture<Integer> removed = new CompletableFuture<>();
        final boolean refuse;

        FileCgroups(Path procs, boolean refuse) {
            this.procs = procs;
            this.refuse = refuse;
        }

        @Override
        public Mode mode() {
            return Mode.V1;
        }

        @Override
        public String description() {
            return "test";
        }

        @Override
        public WorkerCgroup create(int workerId) throws IOException {
            if (refuse) {
                throw new IOException("cannot create cgroup worker-" + workerId);
            }
            return new WorkerCgroup() {
                @Override
                public int workerId() {
                    return workerId;
                }

                @Override
                public Path path() {
                    return procs.getParent();
                }

                @Override
                public List<Path> paths() {
                    return List.of(procs.getParent());
                }

                @Override
                public List<String> placeCommandPrefix() {
                    return List.of("/bin/sh", "-c", "echo $$ > '" + procs + "' || exit 71; exec \"$0\" \"$@\"");
                }

                @Override
                public long throttledCount() {
                    return 0;
                }

                @Override
                public long oomKills() {
                    return 0;
                }

                @Override
                public void close() {
                    removed.complete(workerId);
                }
            };
        }

        @Override
        public Optional<WorkerCgroup> find(int workerId) {
            return Optional.empty();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void withCgroupsTheWorkerStartsInsideItsCgroupUnderItsOwnPidWhichIsRemovedAfterTheExit(@TempDir Path dir)
            throws Exception {
        FileCgroups cgroups = new FileCgroups(dir.resolve("cgroup.procs"), false);
        WorkerLauncher launcher = new WorkerLauncher(WorkerRuntime.fromSystemProperties(), new TestConfig().build(),
                cgroups);

        Process process = launcher.launch(4);
        process.getOutputStream().close();   // the worker exits when stdin ends

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(4, cgroups.removed.get(30, TimeUnit.SECONDS));
        assertEquals(process.pid() + "\n", Files.readString(dir.resolve("cgroup.procs")));
        assertEquals(cgroups, launcher.cgroups());
    }

    @Test
    void aWorkerWhoseCgroupCannotBeCreatedIsNotStarted(@TempDir Path dir) {
        WorkerLauncher launcher = new WorkerLauncher(WorkerRuntime.fromSystemProperties(), new TestConfig().build(),
                new FileCgroups(dir.resolve("cgroup.procs"), true));

        IOException e = assertThrows(IOException.class, () -> launcher.launch(5));

        assertEquals("cannot create cgroup worker-5", e.getMessage());
        assertFalse(Files.exists(dir.resolve("cgroup.procs")));
    }

    @Test
    void thePlacedCommandIsThePrefixThenTheCommand() {
        assertEquals(List.of("/bin/sh", "-c", "x", "java", "-Xmx1m"),
                WorkerLauncher.placed(List.of("/bin/sh", "-c", "x"), List.of("java", "-Xmx1m")));
        assertEquals(List.of("java"), WorkerLauncher.placed(List.of(), List.of("java")));
    }

    @Test
    void withNiceAndCpuSecondsTheWorkerJvmRunsAtThatNicenessUnderRlimitCpu() throws Exception {
        TestConfig config = new TestConfig();
        config.nice = 7;
        config.cpuSeconds = 30;
        WorkerLauncher launcher = new WorkerLauncher(WorkerRuntime.fromSystemProperties(), config.build());

        Process process = launcher.launch(6);
        try {
            Path proc = Path.of("/proc", Long.toString(process.pid()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // the pid runs sh, then sh again, then nice, then the JVM (exec keeps it); the
            // shells' argv holds the JVM's command too, so tell them apart by the executable
            while (!Files.readString(proc.resolve("comm")).strip().equals("java")) {
                assertTrue(System.nanoTime() < deadline, "the JVM never replaced the shell");
                Thread.sleep(10);
            }
            String stat = Files.readString(proc.resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            String cpuLimit = Files.readAllLines(proc.resolve("limits")).stream()
                    .filter(line -> line.startsWith("Max cpu time")).findFirst().orElseThrow();

            assertEquals("7", fields[19 - 3], "niceness, field 19 of " + stat);
            assertEquals(List.of("Max", "cpu", "time", "30", "31", "seconds"), List.of(cpuLimit.trim().split("\\s+")));
            assertTrue(Files.readAllLines(proc.resolve("limits")).stream()
                    .anyMatch(line -> line.matches("Max core file size\\s+0\\s+.*")), "no core files");
        } finally {
            process.getOutputStream().close();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        }
    }
}
