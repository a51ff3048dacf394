package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the command line of a worker JVM and starts it.
 *
 * <p>The command is {@code <java> -Xmx<workers.heap-bytes> <FIXED_FLAGS>
 * -Dorg.slf4j.simpleLogger.defaultLogLevel=<log-level> <extra args> -cp <worker classpath>
 * io.zentinel.sentinel.lua.worker.WorkerMain}. Configuration reaches the worker in the first
 * pipe frame ({@code WorkerInit}), never through argv or the environment: the environment is
 * cleared except for {@link #INHERITED_ENVIRONMENT}, which also keeps {@code JAVA_TOOL_OPTIONS}
 * and friends from injecting flags into the sandbox JVM.
 */
public final class WorkerLauncher {
    /** The worker's entry point (module {@code worker}; never imported by the supervisor). */
    public static final String MAIN_CLASS = "io.zentinel.sentinel.lua.worker.WorkerMain";

    /**
     * Flags every worker gets, after {@code -Xmx}.
     * <ul>
     * <li>{@code -Xlog:disable -Xlog:all=warning:stderr}: the JVM's own warnings go to stdout by
     *     default, which carries the protocol; both are needed, in this order.</li>
     * <li>{@code -XX:+ExitOnOutOfMemoryError}: an OOM poisons a LuaJ VM; exit 3 and be replaced.</li>
     * <li>{@code -XX:ActiveProcessorCount=1}, serial GC, C1 only, small stacks and metaspace: a
     *     small, quickly started JVM whose ergonomics do not depend on the host.</li>
     * <li>{@code -XX:-UsePerfData -XX:+DisableAttachMechanism -XX:-CreateCoredumpOnCrash}: no
     *     hsperfdata file, no attach listener, no core files from the sandbox.</li>
     * <li>slf4j-simple properties: log to stderr, level in brackets and no time or thread, so
     *     {@link WorkerStderr} can re-log each line at its level under {@code worker-<id>}.</li>
     * </ul>
     */
    public static final List<String> FIXED_FLAGS = List.of(
            "-Xss1m",
            "-XX:MaxMetaspaceSize=64m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:ActiveProcessorCount=1",
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
            "-Dorg.slf4j.simpleLogger.showThreadName=false");

    /** Environment variables a worker inherits; all others are removed. */
    public static final Set<String> INHERITED_ENVIRONMENT = Set.of("PATH", "LANG", "LC_ALL", "TZ");

    private static final Logger LOG = LoggerFactory.getLogger(WorkerLauncher.class);

    private final WorkerRuntime runtime;
    private final long heapBytes;
    private final String logLevel;

    public WorkerLauncher(WorkerRuntime runtime, AgentConfig config) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.heapBytes = config.workers().heapBytes();
        this.logLevel = config.logLevel();
    }

    /** The full command line of a worker, executable first. The same for every worker id. */
    public List<String> command() {
        List<String> command = new ArrayList<>();
        command.add(runtime.javaCommand());
        command.add("-Xmx" + heapBytes);
        command.addAll(FIXED_FLAGS);
        if (logLevel != null && !logLevel.isBlank()) {
            command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=" + logLevel.toLowerCase(Locale.ROOT));
        }
        command.addAll(runtime.extraJvmArgs());
        command.add("-cp");
        command.add(runtime.classpath());
        command.add(MAIN_CLASS);
        return List.copyOf(command);
    }

    /** A builder for {@code command}: pipes on all three streams, environment reduced. */
    static ProcessBuilder processBuilder(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> environment = builder.environment();
        environment.keySet().retainAll(INHERITED_ENVIRONMENT);
        return builder.redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.PIPE);
    }

    /**
     * Starts worker {@code workerId}: stdin and stdout are pipes for {@link WorkerHandle}, stderr
     * is copied into the log by a platform thread {@code worker-<id>-stderr}.
     *
     * @throws IOException when the process cannot be started (e.g. no such java executable)
     */
    public Process launch(int workerId) throws IOException {
        Process process = processBuilder(command()).start();
        WorkerStderr.start(workerId, process.getErrorStream());
        LOG.debug("worker-{} - launched (pid {})", workerId, process.pid());
        return process;
    }
}
