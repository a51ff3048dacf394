package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.cli.CliRun;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.config.ConfigLoader;
import io.zentinel.sentinel.lua.supervisor.pool.ArchiveFormat;
import io.zentinel.sentinel.lua.supervisor.pool.ClassArchive;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerPool;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.watch.OshiProcessSampler;
import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workers' class archive end to end, laid out as in the distribution: the worker jars in
 * {@code lib/worker}, the class path given as {@code lib/worker/*}, {@code class-archive} writes
 * {@code lib/worker/worker.jsa} from a training run, and the agent's workers map it; an archive
 * that no longer fits (a jar changed) is left out with one WARN, and the workers start anyway.
 */
class ClassArchiveIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** The worker's run-time class path (the jars lib/worker holds in the distribution). */
    private static final List<String> WORKER_JARS = List.of("sentinel-lua-worker-", "sentinel-lua-protocol-",
            "luaj-jse-", "protobuf-java-", "jackson-core-", "slf4j-api-", "slf4j-simple-");
    private static final Pattern READY = Pattern.compile("worker-\\d+ - ready \\(pid \\d+, .*, (\\d+) ms\\)");

    @TempDir
    Path dir;

    private Path lib;
    private Path archive;
    private final Map<String, String> saved = new java.util.HashMap<>();

    @BeforeEach
    void layOutTheDistribution() throws Exception {
        lib = Files.createDirectories(dir.resolve("lib/worker"));
        List<String> missing = new ArrayList<>(WORKER_JARS);
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path jar = Path.of(entry);
            String name = jar.getFileName().toString();
            for (String prefix : WORKER_JARS) {
                if (name.startsWith(prefix) && name.endsWith(".jar") && missing.remove(prefix)) {
                    Files.copy(jar, lib.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        // run outside the reactor's package phase, the modules are class directories: nothing to archive
        Assumptions.assumeTrue(missing.isEmpty(), "worker jars not on the class path as jars: " + missing);
        // the class path's LuaJ is the published one; the distribution ships it upgraded
        Path shipped = Path.of(System.getProperty("sentinel.lua.it.worker-lib", "../worker/target/runtime-lib"));
        Assumptions.assumeTrue(Files.isDirectory(shipped), "no " + shipped + ": the worker module's package phase"
                + " makes the run-time jars the distribution ships");
        try (var jars = Files.list(shipped)) {
            for (Path jar : jars.filter(f -> f.toString().endsWith(".jar")).toList()) {
                Files.copy(jar, lib.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        archive = lib.resolve("worker.jsa");
        Path scripts = Files.createDirectories(dir.resolve("scripts"));
        try (InputStream in = ClassArchiveIT.class.getResourceAsStream("/scripts/seed-example.lua")) {
            Files.write(scripts.resolve("seed-example.lua"), in.readAllBytes());
        }
        // what the launcher sets
        setProperty(WorkerRuntime.CLASSPATH_PROPERTY, lib + File.separator + "*");
        setProperty(ClassArchive.PROPERTY, archive.toString());
    }

    private void setProperty(String name, String value) {
        saved.putIfAbsent(name, System.getProperty(name));
        System.setProperty(name, value);
    }

    @AfterEach
    void restoreProperties() {
        saved.forEach((name, value) -> {
            if (value == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, value);
            }
        });
    }

    private AgentConfig config(String name) throws Exception {
        Path file = dir.resolve(name + ".kdl");
        Files.writeString(file, "socket-path \"" + dir.resolve(name + ".sock") + "\"\n"
                + "admin { socket-path \"" + dir.resolve(name + "-admin.sock") + "\" }\n"
                + "scripts { directory \"scripts\" }\nworkers { count 2 }\n");
        return ConfigLoader.load(file);
    }

    /** Starts an agent as `run` does, waits for its two workers, returns their start times. */
    private static List<Long> startWorkers(AgentConfig config, LogTap log) throws Exception {
        int before = log.matching(READY.pattern()).size();
        WorkerRuntime runtime = ClassArchive.applyTo(WorkerRuntime.fromSystemProperties(), config);
        try (Supervisor supervisor = Supervisor.start(config, runtime, new OshiProcessSampler(), WorkerPool.Tuning.DEFAULT)) {
            Await.until("two ready workers", WAIT, () -> supervisor.pool().snapshot().stream()
                    .filter(w -> w.state() == WorkerState.READY).count() == 2);
            List<String> ready = log.matching(READY.pattern());
            List<Long> millis = new ArrayList<>();
            for (String line : ready.subList(before, ready.size())) {
                Matcher m = READY.matcher(line);
                assertTrue(m.find());
                millis.add(Long.parseLong(m.group(1)));
            }
            return millis;
        }
    }

    @Test
    void classArchiveWritesAnArchiveTheAgentsWorkersMapAndAChangedJarRetiresIt() throws Exception {
        try (LogTap log = new LogTap()) {
            List<Long> without = startWorkers(config("plain"), log);
            assertEquals(1, log.matching("workers - no class archive at " + Pattern.quote(archive.toString())).size());

            CliRun run = CliRun.of("class-archive", dir.resolve("scripts").toString());

            assertEquals(0, run.exitCode(), run.toString());
            assertTrue(run.out().startsWith("class archive " + archive + " written ("), run.out());
            assertTrue(run.out().contains(": a worker on 1 script file and class-archive-libraries.lua, 8 events"), run.out());
            assertTrue(Files.size(archive) > 1_000_000, "archive size " + Files.size(archive));
            assertEquals(List.of(), Files.list(lib).filter(f -> f.toString().contains(".new")).toList(),
                    "no leftover");
            assertEquals(WORKER_JARS.size(), Files.readAllLines(ClassArchive.jarList(archive)).size(),
                    "one line per worker jar in " + ClassArchive.jarList(archive));

            Path classLogs = Files.createDirectories(dir.resolve("class-load"));
            setProperty(WorkerRuntime.JVM_OPTIONS_PROPERTY, "-Xlog:class+load=info:file=" + classLogs + "/%p.log");
            List<Long> with = startWorkers(config("archived"), log);
            System.clearProperty(WorkerRuntime.JVM_OPTIONS_PROPERTY);
            assertEquals(1, log.matching("workers - class archive " + Pattern.quote(archive.toString()) + " in use").size());
            assertLuaAndWorkerClassesCameFromTheArchive(classLogs);
            System.out.println("ClassArchiveIT: worker ready after " + without + " ms without the archive, " + with
                    + " ms with it (2 workers starting at once, on this machine's load)");

            // a jar that changes (a new mtime is enough) no longer matches the archive
            Path jar = Files.list(lib).filter(f -> f.getFileName().toString().startsWith("luaj-jse-")).findFirst()
                    .orElseThrow();
            Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 1000));
            startWorkers(config("stale"), log);
            List<String> refused = log.matching("workers - class archive .* not used, workers start without it: ");
            assertEquals(1, refused.size(), refused.toString());
            assertTrue(refused.getFirst().contains("the worker jars changed since it was written (name, size, time: "
                    + jar.getFileName()), refused.getFirst());
            assertEquals(List.of(), log.matching("worker-\\d+ - .*\\[(warning|error)"),
                    "workers are not handed an archive they would warn about");
        }
    }

    /**
     * Every LuaJ and worker class the workers loaded came from the archive, none from a jar: so
     * LuaJ's upgraded class files, and the worker's classes that extend them, were archived.
     */
    private static void assertLuaAndWorkerClassesCameFromTheArchive(Path classLogs) throws Exception {
        List<Path> workerLogs = new ArrayList<>();
        try (var logs = Files.list(classLogs)) {
            for (Path file : logs.toList()) {
                if (Files.readString(file).contains(" io.zentinel.sentinel.lua.worker.WorkerMain ")) {
                    workerLogs.add(file);
                }
            }
        }
        // the two workers', and with an AOT cache the JVM that tried it, which loads its linked classes at start
        assertTrue(workerLogs.size() >= 2, "class-load logs of the two workers: " + workerLogs);
        for (Path file : workerLogs) {
            List<String> lines = Files.readAllLines(file).stream()
                    .filter(line -> line.contains(" org.luaj.") || line.contains(" io.zentinel.sentinel.lua.worker."))
                    .toList();
            assertTrue(lines.size() > 200, file + ": " + lines.size() + " LuaJ and worker classes loaded");
            List<String> fromJars = lines.stream().filter(line -> !line.contains("source: shared objects file")).toList();
            assertEquals(List.of(), fromJars, file + ": classes not taken from the archive");
        }
    }

    @Test
    void aWorkerHandedAnArchiveItCannotMapStillStartsAndServes() throws Exception {
        Files.write(archive, new byte[64 * 1024]);
        setProperty(WorkerRuntime.JVM_OPTIONS_PROPERTY, String.join(" ", ClassArchive.useFlags(archive)));
        try (LogTap log = new LogTap()) {
            AgentConfig config = config("forced");
            // handed over without the agent's check, as SENTINEL_LUA_WORKER_JAVA_OPTS would
            try (Supervisor supervisor = Supervisor.start(config, WorkerRuntime.fromSystemProperties(),
                    new OshiProcessSampler(), WorkerPool.Tuning.DEFAULT)) {
                Await.until("two ready workers", WAIT, () -> supervisor.pool().snapshot().stream()
                        .filter(w -> w.state() == WorkerState.READY).count() == 2);
            }
            // the JVM says so on stderr, which the agent relays; stdout, the pipe, stayed clean
            String warning = switch (ArchiveFormat.current()) {
                case APP_CDS -> "Not a valid shared archive file";
                case AOT_CACHE -> "The AOT cache has a bad magic number";
            };
            assertTrue(log.matching("worker-\\d+ - .*" + warning).size() >= 2, log.matching("worker-").toString());
        }
    }
}
