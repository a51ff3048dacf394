package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker JVMs' class archive ({@code lib/worker/worker.jsa}): the classes a worker loads and
 * links while it starts, written from a training run of a real worker ({@code sentinel-lua-agent
 * class-archive}, at package time) and mapped by every worker, which cuts its start. On Java 25 and
 * newer it is the JDK's AOT cache, before that an AppCDS archive ({@link ArchiveFormat}).
 *
 * <p>An archive only maps into the exact Java runtime that wrote it, with the same jars (paths
 * relative to a common prefix, sizes and modification times) in the same order: hence a class
 * path of explicit jars in a fixed order ({@link WorkerRuntime}), never a wildcard. A JVM given an
 * archive it cannot map warns on stderr and runs without it; so that this does not happen at every
 * worker start, {@link #applyTo} first asks a JVM that refuses to start instead, and adds the
 * archive only when that JVM started.
 *
 * <p>LuaJ's classes can only be archived because the build rewrites them as Java 8 class files
 * (worker/src/build/UpgradeClassFiles.java): the JVM leaves linked classes older than Java 6, and
 * all their subclasses, out of any archive. See docs/operations.md for the measurements.
 */
public final class ClassArchive {
    private static final Logger LOG = LoggerFactory.getLogger(ClassArchive.class);

    /**
     * System property the distribution's launcher sets to {@code $APP_HOME/lib/worker/worker.jsa};
     * the archive is used when that file exists and maps.
     */
    public static final String PROPERTY = "sentinel.lua.worker.class-archive";

    /** How long a JVM that tries or assembles the archive may take. */
    static final Duration JVM_TIMEOUT = Duration.ofSeconds(60);

    private ClassArchive() {
    }

    /** The flags a worker of this Java runtime maps {@code archive} with. */
    public static List<String> useFlags(Path archive) {
        return ArchiveFormat.current().useFlags(archive);
    }

    /**
     * {@code runtime} with {@link #useFlags} added when the system property {@value #PROPERTY}
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
        Optional<String> refused = changedJars(archive, runtime.classpath())
                .or(() -> refusal(new WorkerLauncher(runtime, config).command(), archive));
        if (refused.isPresent()) {
            LOG.warn("workers - class archive {} not used, workers start without it: {} (it belongs to another"
                    + " Java runtime or other jars; `sentinel-lua-agent class-archive` makes a new one)", archive,
                    refused.get());
            return runtime;
        }
        LOG.info("workers - class archive {} in use", archive);
        List<String> extra = new ArrayList<>(runtime.extraJvmArgs());
        extra.addAll(useFlags(archive));
        return new WorkerRuntime(runtime.javaCommand(), runtime.classpath(), extra);
    }

    /**
     * The list of the jars {@code archive} was written with, next to it ({@code worker.jsa.jars}):
     * per class path entry in order, its file name, size and modification time. The agent checks
     * it before it uses the archive, because JDK 25.0.3 and older do not notice changed jars under
     * an AOT cache (JDK-8377932) and would map classes the jars no longer hold.
     */
    public static Path jarList(Path archive) {
        return archive.resolveSibling(archive.getFileName() + ".jars");
    }

    /** The jars of {@code classpath} as {@link #jarList} lists them, one line each. */
    public static String describeJars(String classpath) throws IOException {
        StringBuilder list = new StringBuilder();
        for (String entry : classpath.split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                Path jar = Path.of(entry);
                list.append(jar.getFileName()).append(' ').append(Files.size(jar)).append(' ')
                        .append(Files.getLastModifiedTime(jar).toMillis()).append('\n');
            }
        }
        return list.toString();
    }

    /** Why the jars of {@code classpath} are not those {@code archive} was written with, or empty when they are. */
    static Optional<String> changedJars(Path archive, String classpath) {
        Path list = jarList(archive);
        List<String> written;
        List<String> now;
        try {
            written = Files.readAllLines(list);
        } catch (NoSuchFileException e) {
            return Optional.of("there is no list of the jars it was written with (" + list + ")");
        } catch (IOException e) {
            return Optional.of("cannot read " + list + ": " + e.getMessage());
        }
        try {
            now = describeJars(classpath).lines().toList();
        } catch (IOException e) {
            return Optional.of("cannot read a worker jar: " + e.getMessage());
        }
        for (int i = 0; i < Math.max(written.size(), now.size()); i++) {
            String was = i < written.size() ? written.get(i) : "no jar";
            String is = i < now.size() ? now.get(i) : "no jar";
            if (!was.equals(is)) {
                return Optional.of("the worker jars changed since it was written (name, size, time: " + was + " became "
                        + is + ")");
            }
        }
        return Optional.empty();
    }

    /**
     * Why {@code archive} does not map into a JVM started as {@code workerCommand} (the java
     * executable, its flags, {@code -cp <path>}, the main class), or empty when it does: that JVM
     * is started with the archive and the flag that makes it refuse to start without it, and
     * {@code -version} instead of the main class.
     */
    public static Optional<String> refusal(List<String> workerCommand, Path archive) {
        return run(workerCommand, ArchiveFormat.current().strictUseFlags(archive), List.of("-version"), JVM_TIMEOUT);
    }

    /**
     * Makes {@code archive} from the record of a training run when this runtime's format needs a
     * JVM for it ({@link ArchiveFormat#assemblyFlags}), a JVM started as {@code workerCommand} without
     * its main class; returns why that failed, or empty.
     */
    public static Optional<String> assemble(List<String> workerCommand, Path archive) {
        List<String> flags = ArchiveFormat.current().assemblyFlags(archive);
        return flags.isEmpty() ? Optional.empty() : run(workerCommand, flags, List.of(), JVM_TIMEOUT);
    }

    /**
     * Runs {@code workerCommand} with {@code flags} before its class path and {@code tail} in place
     * of its main class; returns why it failed, or empty when it exited with status 0. Its output
     * goes to a temporary file, so that a JVM that hangs is killed after {@code timeout} instead of
     * holding the caller in a read of its output.
     */
    static Optional<String> run(List<String> workerCommand, List<String> flags, List<String> tail, Duration timeout) {
        List<String> command = new ArrayList<>(workerCommand.subList(0, workerCommand.size() - 1));
        int cp = command.indexOf("-cp");
        command.addAll(cp < 0 ? command.size() : cp, flags);
        command.addAll(tail);
        Path output = null;
        try {
            output = Files.createTempFile("sentinel-lua-class-archive-", ".log");
            Process process = WorkerLauncher.processBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return Optional.of("the JVM did not finish within " + timeout);
            }
            if (process.exitValue() == 0) {
                return Optional.empty();
            }
            return Optional.of(reason(Files.readString(output, StandardCharsets.UTF_8), process.exitValue()));
        } catch (IOException e) {
            return Optional.of("the JVM could not be started: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while it ran");
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException e) {
                    LOG.debug("workers - cannot remove {}: {}", output, e.toString());
                }
            }
        }
    }

    /**
     * The JVM's first warning or error, without its {@code [uptime][level][tags]} decoration, else
     * its last line: e.g. {@code Dynamic archive cannot be used: static archive header checksum
     * verification failed.} For a JVM that crashed, the first lines of its fatal error report
     * after the heading, which name the failure and where it happened.
     */
    static String reason(String output, int exitValue) {
        List<String> lines = output.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
        int fatal = lines.indexOf("# A fatal error has been detected by the Java Runtime Environment:");
        if (fatal >= 0) {
            List<String> report = lines.subList(fatal + 1, lines.size()).stream()
                    .map(line -> line.replaceFirst("^#\\s*", "")).filter(line -> !line.isEmpty()).limit(2).toList();
            return "the JVM crashed: " + String.join(" ", report);
        }
        for (String line : lines) {
            if (line.contains("[warning]") || line.contains("[error")) {
                return line.replaceFirst("^(\\[[^]]*\\])+\\s*", "");
            }
        }
        return lines.isEmpty() ? "the JVM exited with status " + exitValue : lines.getLast();
    }
}
