package io.zentinel.sentinel.lua.supervisor.it;

import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.config.ConfigLoader;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerPool;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerStatus;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import io.zentinel.sentinel.lua.supervisor.watch.OshiProcessSampler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real agent for integration tests: the supervisor in this JVM, real worker JVMs launched from
 * the test class path, a real Unix socket in a temporary directory, and proxies that speak the
 * v2 framing.
 */
final class AgentHarness implements AutoCloseable {
    /**
     * A {@code scripts} key and a {@code resource-limits} block with time budgets far above what
     * a test's scripts need, for tests about what scripts decide rather than about budgets: a
     * crowded test machine that deschedules a worker, or keeps a hundred queued events waiting for
     * a Lua VM, must not turn an answer into the failure mode.
     */
    static final String ROOMY_SCRIPT_TIMEOUT = "timeout \"5s\"";
    static final String ROOMY_EXECUTION_TIME = "resource-limits { max-execution-time \"5s\" }\n";

    private final Path dir;
    private final Path scripts;
    private final List<FakeProxy> proxies = new ArrayList<>();
    private final List<String> workerJvmArgs = new ArrayList<>();
    private WorkerPool.Tuning tuning = WorkerPool.Tuning.DEFAULT;
    private Supervisor supervisor;

    AgentHarness(Path dir) throws IOException {
        this.dir = dir;
        this.scripts = Files.createDirectories(dir.resolve("scripts"));
    }

    /** Adds a script file to the scripts directory (before {@link #start}). */
    AgentHarness script(String fileName, String source) throws IOException {
        Files.writeString(scripts.resolve(fileName), source, StandardCharsets.UTF_8);
        return this;
    }

    /** Adds a script from the test resources ({@code /scripts/NAME}). */
    AgentHarness scriptResource(String fileName) throws IOException {
        try (var in = AgentHarness.class.getResourceAsStream("/scripts/" + fileName)) {
            if (in == null) {
                throw new IOException("no test resource /scripts/" + fileName);
            }
            Files.write(scripts.resolve(fileName), in.readAllBytes());
        }
        return this;
    }

    /** JVM flags added to every worker's command line, as SENTINEL_LUA_WORKER_JAVA_OPTS does (before {@link #start}). */
    AgentHarness workerJvmArgs(String... args) {
        workerJvmArgs.addAll(List.of(args));
        return this;
    }

    /** The pool's crash-loop backoff and housekeeping timing (before {@link #start}). */
    AgentHarness tuning(WorkerPool.Tuning tuning) {
        this.tuning = tuning;
        return this;
    }

    Path dir() {
        return dir;
    }

    Path socket() {
        return dir.resolve("agent.sock");
    }

    Path scriptsDir() {
        return scripts;
    }

    /** The agent's admin socket: in the test's directory, unless the configuration names another. */
    Path adminSocket() {
        return dir.resolve("admin.sock");
    }

    /**
     * Starts the agent on a configuration file made of {@code extraKdl} plus the socket and
     * scripts paths of this harness.
     */
    Supervisor start(String extraKdl) throws Exception {
        return start("", extraKdl);
    }

    /** As {@link #start(String)}, with {@code scriptsKeys} added to the {@code scripts} block. */
    Supervisor start(String scriptsKeys, String extraKdl) throws Exception {
        Path file = dir.resolve("agent.kdl");
        // each agent gets its own admin socket, so that tests never share the default /tmp path
        String admin = extraKdl.contains("admin {") ? "" : "admin { socket-path \"" + adminSocket() + "\" }\n";
        Files.writeString(file, "socket-path \"" + socket() + "\"\n"
                + "scripts { directory \"scripts\"; " + scriptsKeys + " }\n" + admin + extraKdl + "\n");
        AgentConfig config = ConfigLoader.load(file);
        WorkerRuntime system = WorkerRuntime.fromSystemProperties();
        List<String> extra = new ArrayList<>(system.extraJvmArgs());
        extra.addAll(workerJvmArgs);
        WorkerRuntime runtime = new WorkerRuntime(system.javaCommand(), system.classpath(), extra);
        supervisor = Supervisor.start(config, runtime, new OshiProcessSampler(), tuning);
        return supervisor;
    }

    Supervisor supervisor() {
        return supervisor;
    }

    /** A connected proxy connection that has done its handshake and reads answers. */
    FakeProxy connect() throws IOException {
        FakeProxy proxy = FakeProxy.connect(socket());
        proxies.add(proxy);
        proxy.handshake();
        proxy.startReader();
        return proxy;
    }

    /** Ready workers' pids. */
    List<Long> readyWorkerPids() {
        return supervisor.pool().snapshot().stream()
                .filter(w -> w.state() == WorkerState.READY)
                .map(WorkerStatus::pid)
                .toList();
    }

    @Override
    public void close() throws IOException {
        for (FakeProxy proxy : proxies) {
            proxy.close();
        }
        if (supervisor != null) {
            supervisor.close();
        }
    }
}
