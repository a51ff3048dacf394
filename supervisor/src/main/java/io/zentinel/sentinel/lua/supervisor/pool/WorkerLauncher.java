package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.supervisor.cgroup.WorkerCgroup;
import io.zentinel.sentinel.lua.supervisor.cgroup.WorkerCgroups;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.config.WorkerConfig;
import java.io.IOException;
import java.time.Duration;
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
 *
 * <p>With {@link WorkerCgroups} in use, each worker gets its own cgroup and is started inside it:
 * the command is prefixed with {@link WorkerCgroup#placeCommandPrefix()} ({@code /bin/sh -c 'ulimit
 * -c 0; echo $$ > <cgroup>/cgroup.procs …; exec "$0" "$@"'}), so the JVM sizes itself from the
 * cgroup's limits and the pid stays the worker's. The cgroup is removed once the process has exited.
 *
 * <p>With workers.nice or workers.cpu-seconds set, {@link ProcessLimits#commandPrefix()} follows
 * the cgroup's prefix: a second {@code /bin/sh} sets RLIMIT_CPU and execs {@code nice -n}, still
 * under the same pid.
 */
public final class WorkerLauncher {
    /** The worker's entry point (module {@code worker}; never imported by the supervisor). */
    public static final String MAIN_CLASS = "io.zentinel.sentinel.lua.worker.WorkerMain";

    /**
     * Flags every worker gets, after {@code -Xmx}.
     * <ul>
     * <li>{@code -XX:+DisplayVMOutputToStderr -Xlog:disable -Xlog:all=warning:stderr}: stdout
     *     carries the protocol, and by default the JVM writes its own messages there: its
     *     "Terminating due to java.lang.OutOfMemoryError" before exit 3, the head of a fatal error
     *     report, and its log's warnings. Read as a frame length, those bytes would hide why the
     *     worker ended behind a protocol error. The two {@code -Xlog} flags are needed, in this order.</li>
     * <li>{@code -XX:+ExitOnOutOfMemoryError}: an OOM poisons a LuaJ VM; exit 3 and be replaced.</li>
     * <li>{@code -XX:ActiveProcessorCount=1}, serial GC, small stacks and metaspace: a small JVM
     *     whose ergonomics do not depend on the host.</li>
     * <li>Tiered compilation (C1, then C2 for the hot code) in a 24 MB code cache: C2 code runs a
     *     call in about two thirds of the CPU time of C1 code alone (measured: 22,000 against
     *     15,000 decisions/s for the header script at 16 in flight), which pays for its warm-up
     *     within seconds of a worker's minutes of life. The library-heavy benchmark script fills
     *     under 6 MB of the cache. The C2 compiler's memory is handed back by
     *     {@link #nativeHeapTrimFlags}. Short-lived workers compile with C1 alone
     *     ({@link #compilerFlags}).</li>
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
            "-Dorg.slf4j.simpleLogger.showThreadName=false");

    /** Environment variables a worker inherits; all others are removed. */
    public static final Set<String> INHERITED_ENVIRONMENT = Set.of("PATH", "LANG", "LC_ALL", "TZ");

    private static final Logger LOG = LoggerFactory.getLogger(WorkerLauncher.class);

    /** Workers retired sooner than this many executions compile with C1 alone. */
    static final long C2_MIN_EXECUTIONS = 100_000;
    /** Workers retired younger than this compile with C1 alone. */
    static final Duration C2_MIN_AGE = Duration.ofMinutes(1);

    private final WorkerRuntime runtime;
    private final AgentConfig config;
    private final long heapBytes;
    private final String logLevel;
    private final WorkerCgroups cgroups;
    private final ProcessLimits limits;

    /**
     * A launched worker process and its cgroup (one without a path when workers run without
     * cgroups), whose counters tell how the process ended.
     */
    public record Launched(Process process, WorkerCgroup cgroup) {
    }

    /** A launcher that starts workers without cgroups. */
    public WorkerLauncher(WorkerRuntime runtime, AgentConfig config) {
        this(runtime, config, WorkerCgroups.none("not requested"));
    }

    /** A launcher that starts each worker in its own cgroup of {@code cgroups} (closed by the caller). */
    public WorkerLauncher(WorkerRuntime runtime, AgentConfig config, WorkerCgroups cgroups) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.config = Objects.requireNonNull(config, "config");
        this.heapBytes = config.workers().heapBytes();
        this.logLevel = config.logLevel();
        this.cgroups = Objects.requireNonNull(cgroups, "cgroups");
        this.limits = ProcessLimits.of(config.workers());
    }

    /** Which JIT compilers the workers use and why, for the start-up log. */
    public String describeCompilers() {
        WorkerConfig workers = config.workers();
        if (shortLived(workers)) {
            return "C1 alone: they are retired after " + workers.maxExecutions() + " executions or "
                    + workers.maxAge() + " (workers.max-executions, max-age), too soon for C2 to pay for its"
                    + " compilations (from " + C2_MIN_EXECUTIONS
                    + " executions and " + C2_MIN_AGE + " on)";
        }
        return "C1, then C2 for the hot code";
    }

    /**
     * The workers of a {@link WorkerPool}: each a process from {@link #start(int)}, driven by a
     * {@link WorkerHandle} that reads the OOM-kill count of the worker's cgroup when it exits, so
     * that a worker the kernel killed at workers.memory-bytes is reported as such.
     */
    public WorkerFactory handles() {
        return (id, timer) -> {
            Launched worker = start(id);
            return new WorkerHandle(id, worker.process(), config, timer, worker.cgroup()::oomKills);
        };
    }

    /** The niceness and RLIMIT_CPU each worker is started with. */
    public ProcessLimits limits() {
        return limits;
    }

    /** The cgroups workers are started in: their paths and counters, for {@code status}. */
    public WorkerCgroups cgroups() {
        return cgroups;
    }

    /** {@code prefix} followed by {@code command}: the argv that starts a worker inside its cgroup. */
    public static List<String> placed(List<String> prefix, List<String> command) {
        List<String> placed = new ArrayList<>(prefix.size() + command.size());
        placed.addAll(prefix);
        placed.addAll(command);
        return List.copyOf(placed);
    }

    /** The full command line of a worker, executable first. The same for every worker id. */
    public List<String> command() {
        List<String> command = new ArrayList<>();
        command.add(runtime.javaCommand());
        command.add("-Xmx" + heapBytes);
        command.addAll(FIXED_FLAGS);
        command.addAll(compilerFlags(config.workers()));
        command.addAll(nativeHeapTrimFlags(Runtime.version()));
        if (logLevel != null && !logLevel.isBlank()) {
            command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=" + logLevel.toLowerCase(Locale.ROOT));
        }
        command.addAll(runtime.extraJvmArgs());
        command.add("-cp");
        command.add(runtime.classpath());
        command.add(MAIN_CLASS);
        return List.copyOf(command);
    }

    /**
     * {@code -XX:TieredStopAtLevel=1} (C1 alone) for workers retired after fewer than
     * {@value #C2_MIN_EXECUTIONS} executions or younger than {@link #C2_MIN_AGE}, else nothing
     * (C1, then C2). C2 spends CPU compiling each new worker's hot code and pays that back only
     * over a long life; measured with workers recycled every 1,000 executions at 16 in
     * flight, C2 took the agent from 9,700 to 2,700 decisions/s, as every new worker compiled
     * anew, and calls overran their deadline while the replacements started.
     */
    static List<String> compilerFlags(WorkerConfig workers) {
        return shortLived(workers) ? List.of("-XX:TieredStopAtLevel=1") : List.of();
    }

    private static boolean shortLived(WorkerConfig workers) {
        return workers.maxExecutions() < C2_MIN_EXECUTIONS || workers.maxAge().compareTo(C2_MIN_AGE) < 0;
    }

    /**
     * The flags that make a JVM of {@code version} hand freed C heap back to the system every
     * second ({@code TrimNativeHeapInterval}, JDK 21.0.1 and later), or none where it lacks them.
     * Workers run on the supervisor's own runtime ({@link WorkerRuntime#currentJava()}), so its
     * version is theirs. Measured: an idle worker drops from 63-64 MiB resident two seconds
     * after its start (the C2 compilations of its warm-up) to 56 MiB four seconds later.
     */
    static List<String> nativeHeapTrimFlags(Runtime.Version version) {
        boolean trims = version.feature() > 21 || (version.feature() == 21 && version.update() >= 1);
        return trims ? List.of("-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=1000") : List.of();
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

    /** The process of {@link #start(int)}. */
    public Process launch(int workerId) throws IOException {
        return start(workerId).process();
    }

    /**
     * Starts worker {@code workerId}: stdin and stdout are pipes for {@link WorkerHandle}, stderr
     * is copied into the log by a platform thread {@code worker-<id>-stderr}. With cgroups, the
     * process starts in a new cgroup {@code worker-<id>}, which is removed after it has exited
     * (its counters stay readable from the returned {@link WorkerCgroup}).
     *
     * @throws IOException when the process cannot be started (e.g. no such java executable), or
     *                     its cgroup cannot be created (it is then not started unfenced)
     */
    public Launched start(int workerId) throws IOException {
        WorkerCgroup cgroup = cgroups.create(workerId);
        Process process;
        try {
            process = processBuilder(placed(cgroup.placeCommandPrefix(), placed(limits.commandPrefix(), command())))
                    .start();
        } catch (IOException | RuntimeException e) {
            cgroup.close();
            throw e;
        }
        WorkerStderr.start(workerId, process.getErrorStream());
        if (cgroup.path() != null) {
            // close() keeps the counters it read just before the removal, for the exit's reader
            process.onExit().thenRunAsync(cgroup::close,
                    task -> Thread.ofVirtual().name("worker-" + workerId + "-cgroup").start(task));
            LOG.debug("worker-{} - launched (pid {}) in {}", workerId, process.pid(), cgroup.path());
        } else {
            LOG.debug("worker-{} - launched (pid {})", workerId, process.pid());
        }
        return new Launched(process, cgroup);
    }
}
