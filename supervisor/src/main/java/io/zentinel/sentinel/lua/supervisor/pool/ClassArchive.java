package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker JVMs' class-data archive (AppCDS, {@code lib/worker/worker.jsa}): the classes a
 * worker loads and links while it starts, written by a training run of a real worker
 * ({@code sentinel-lua-agent class-archive}, at package time) and mapped by every worker started
 * with {@code -XX:SharedArchiveFile}, which cuts its start.
 *
 * <p>An archive only maps into the exact Java runtime that wrote it, with the same jars (paths
 * relative to a common prefix, sizes and modification times) in the same order: hence a class
 * path of explicit jars in a fixed order ({@link WorkerRuntime}), never a wildcard. A JVM given an
 * archive it cannot map warns on stderr and runs without it; so that this does not happen at every
 * worker start, {@link #applyTo} first asks a JVM with {@code -Xshare:on}, which refuses to start
 * instead, and adds the flag only when that JVM started.
 *
 * <p>Why AppCDS rather than the JDK 25 AOT cache ({@code -XX:AOTCache}): measured on the worker,
 * the AOT cache started it as fast, not faster; it is three times the size and exists only from
 * JDK 24; and creating it with AOT class linking, what could make it faster, crashes JDK 25.0.3
 * on the lambda proxies of LuaJ's pre-Java 6 classes. See docs/operations.md.
 */
public final class ClassArchive {
    private static final Logger LOG = LoggerFactory.getLogger(ClassArchive.class);

    /**
     * System property the distribution's launcher sets to {@code $APP_HOME/lib/worker/worker.jsa};
     * the archive is used when that file exists and maps.
     */
    public static final String PROPERTY = "sentinel.lua.worker.class-archive";

    /** How long the JVM that tries the archive may take. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);

    private ClassArchive() {
    }

    /** The flag a worker maps {@code archive} with. */
    public static String useFlag(Path archive) {
        return "-XX:SharedArchiveFile=" + archive;
    }

    /**
     * The flags of a training run: write {@code archive} when the JVM exits, and keep the JVM's
     * notes about classes it cannot archive (LuaJ's, compiled for Java 1.3) out of the log.
     */
    public static List<String> trainingFlags(Path archive) {
        return List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds*=error:stderr");
    }

    /**
     * {@code runtime} with {@link #useFlag} added when the system property {@value #PROPERTY}
     * names an archive that exists and maps into this Java runtime with the workers' command
     * line; otherwise {@code runtime} as it is. Logs the outcome once. Blocks while a JVM tries the
     * archive (about 100 ms).
     */
    public static WorkerRuntime applyTo(WorkerRuntime runtime, AgentConfig config) {
        String property = System.getProperty(PROPERTY);
        if (property == null || property.isBlank()) {
            return runtime;
        }
        Path archive = Path.of(property);
        if (!Files.isRegularFile(archive)) {
            LOG.info("workers - no class archive at {}: workers start without one", archive);
            return runtime;
        }
        Optional<String> refused = refusal(new WorkerLauncher(runtime, config).command(), archive);
        if (refused.isPresent()) {
            LOG.warn("workers - class archive {} not used, workers start without it: {} (it belongs to another"
                    + " Java runtime or other jars; `sentinel-lua-agent class-archive` makes a new one)", archive,
                    refused.get());
            return runtime;
        }
        LOG.info("workers - class archive {} in use", archive);
        List<String> extra = new ArrayList<>(runtime.extraJvmArgs());
        extra.add(useFlag(archive));
        return new WorkerRuntime(runtime.javaCommand(), runtime.classpath(), extra);
    }

    /**
     * Why {@code archive} does not map into a JVM started as {@code workerCommand} (the java
     * executable, its flags, {@code -cp <path>}, the main class), or empty when it does: that JVM
     * is started with {@code -Xshare:on} and the archive, and {@code -version} instead of the main
     * class.
     */
    public static Optional<String> refusal(List<String> workerCommand, Path archive) {
        List<String> probe = new ArrayList<>(workerCommand.subList(0, workerCommand.size() - 1));
        int cp = probe.indexOf("-cp");
        probe.addAll(cp < 0 ? probe.size() : cp, List.of("-Xshare:on", useFlag(archive)));
        probe.add("-version");
        try {
            Process process = WorkerLauncher.processBuilder(probe).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return Optional.of("the JVM that tried it did not finish within " + PROBE_TIMEOUT);
            }
            if (process.exitValue() == 0) {
                return Optional.empty();
            }
            return Optional.of(reason(new String(output, StandardCharsets.UTF_8), process.exitValue()));
        } catch (IOException e) {
            return Optional.of("the JVM that tried it could not be started: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while trying it");
        }
    }

    /**
     * The JVM's first warning or error, without its {@code [uptime][level][tags]} decoration, else
     * its last line: e.g. {@code Dynamic archive cannot be used: static archive header checksum
     * verification failed.}
     */
    static String reason(String output, int exitValue) {
        List<String> lines = output.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
        for (String line : lines) {
            if (line.contains("[warning]") || line.contains("[error")) {
                return line.replaceFirst("^(\\[[^]]*\\])+\\s*", "");
            }
        }
        return lines.isEmpty() ? "the JVM exited with status " + exitValue : lines.getLast();
    }
}
