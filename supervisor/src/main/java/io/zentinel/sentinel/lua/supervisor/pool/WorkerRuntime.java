package io.zentinel.sentinel.lua.supervisor.pool;

import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

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
     * The java executable of this JVM and the class path from {@value #CLASSPATH_PROPERTY},
     * falling back to this JVM's own {@code java.class.path} (in tests the worker module is a
     * test-scope dependency, so it is on that class path).
     */
    public static WorkerRuntime fromSystemProperties() {
        return fromProperties(System::getProperty);
    }

    /** {@link #fromSystemProperties()} over any property source. */
    static WorkerRuntime fromProperties(UnaryOperator<String> properties) {
        String classpath = properties.apply(CLASSPATH_PROPERTY);
        if (classpath == null || classpath.isBlank()) {
            classpath = properties.apply("java.class.path");
        }
        String options = properties.apply(JVM_OPTIONS_PROPERTY);
        List<String> extra = options == null || options.isBlank() ? List.of()
                : List.of(options.strip().split("\\s+"));
        return new WorkerRuntime(currentJava(), classpath, extra);
    }

    /** The executable running this JVM, else {@code ${java.home}/bin/java}. */
    public static String currentJava() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
