package io.zentinel.sentinel.lua.supervisor.pool;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * What a worker JVM is started from.
 *
 * @param javaCommand  path of the {@code java} executable
 * @param classpath    the worker's class path ({@code lib/worker/*} in the distribution)
 * @param extraJvmArgs flags appended after the launcher's fixed flags (e.g. {@code -XX:AOTCache=…})
 */
public record WorkerRuntime(String javaCommand, String classpath, List<String> extraJvmArgs) {

    /** System property the distribution's launcher sets to the worker class path. */
    public static final String CLASSPATH_PROPERTY = "sentinel.lua.worker.classpath";

    /**
     * System property with extra worker JVM flags, separated by whitespace; the launcher sets it
     * from {@code SENTINEL_LUA_WORKER_JAVA_OPTS} (workers do not inherit the supervisor's environment).
     */
    public static final String JVM_OPTIONS_PROPERTY = "sentinel.lua.worker.jvm-options";

    public WorkerRuntime {
        if (javaCommand == null || javaCommand.isBlank()) {
            throw new IllegalArgumentException("javaCommand must not be empty");
        }
        if (classpath == null || classpath.isBlank()) {
            throw new IllegalArgumentException("classpath must not be empty");
        }
        extraJvmArgs = List.copyOf(extraJvmArgs);
    }

    /**
     * The java executable of this JVM and the class path from {@value #CLASSPATH_PROPERTY} (with
     * {@code dir/*} entries expanded, see {@link #expandWildcards}), falling back to this JVM's own
     * {@code java.class.path} (in tests the worker module is a test-scope dependency, so it is on
     * that class path).
     */
    public static WorkerRuntime fromSystemProperties() {
        return fromProperties(System::getProperty);
    }

    /** {@link #fromSystemProperties()} over any property source. */
    static WorkerRuntime fromProperties(UnaryOperator<String> properties) {
        String classpath = properties.apply(CLASSPATH_PROPERTY);
        if (classpath == null || classpath.isBlank()) {
            classpath = properties.apply("java.class.path");
        } else {
            classpath = expandWildcards(classpath);
        }
        String options = properties.apply(JVM_OPTIONS_PROPERTY);
        List<String> extra = options == null || options.isBlank() ? List.of()
                : List.of(options.strip().split("\\s+"));
        return new WorkerRuntime(currentJava(), classpath, extra);
    }

    /**
     * {@code classpath} with each {@code dir/*} entry replaced by the jars of {@code dir} sorted by
     * name, as the java launcher would expand it but in a fixed order: the launcher lists them in
     * directory order, which differs between file systems, and a class archive only maps with the
     * class path it was written with ({@link ClassArchive}). A directory that does not exist
     * expands to nothing, as with the launcher; one that cannot be read is an error.
     */
    static String expandWildcards(String classpath) {
        List<String> entries = new ArrayList<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            if (entry.equals("*") || entry.endsWith(File.separator + "*")) {
                String dir = entry.substring(0, entry.length() - 1);
                entries.addAll(jars(Path.of(dir.isEmpty() ? "." : dir)));
            } else if (!entry.isEmpty()) {
                entries.add(entry);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static List<String> jars(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jar")
                            && Files.isRegularFile(f))
                    .map(f -> dir.resolve(f.getFileName()).toString())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the worker class path directory " + dir, e);
        }
    }

    /** The executable running this JVM, else {@code ${java.home}/bin/java}. */
    public static String currentJava() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
