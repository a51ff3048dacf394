package io.zentinel.sentinel.lua.supervisor;

import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.ScriptInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.supervisor.admin.AdminHandler;
import io.zentinel.sentinel.lua.supervisor.admin.AdminServer;
import io.zentinel.sentinel.lua.supervisor.admin.ReloadHistory;
import io.zentinel.sentinel.lua.supervisor.admin.ReloadReport;
import io.zentinel.sentinel.lua.supervisor.admin.StatusCollector;
import io.zentinel.sentinel.lua.supervisor.admin.StatusReport;
import io.zentinel.sentinel.lua.supervisor.cgroup.WorkerCgroups;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.pool.DecisionPolicy;
import io.zentinel.sentinel.lua.supervisor.pool.EventDispatcher;
import io.zentinel.sentinel.lua.supervisor.pool.FailureCause;
import io.zentinel.sentinel.lua.supervisor.pool.PoolStartException;
import io.zentinel.sentinel.lua.supervisor.pool.ReloadResult;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSetException;
import io.zentinel.sentinel.lua.supervisor.pool.TransactionStore;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerLauncher;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerPool;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import io.zentinel.sentinel.lua.supervisor.report.AgentMetrics;
import io.zentinel.sentinel.lua.supervisor.report.Health;
import io.zentinel.sentinel.lua.supervisor.report.ProxyReporter;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentCapabilities;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyConnection;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyListener;
import io.zentinel.sentinel.lua.supervisor.watch.OshiProcessSampler;
import io.zentinel.sentinel.lua.supervisor.watch.ProcessSampler;
import io.zentinel.sentinel.lua.supervisor.watch.ScriptWatcher;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent: the worker pool started on the script set, then the proxy socket.
 *
 * <p>Start order matters: the proxy must find the socket only once workers can answer, because it
 * never retries a connection that failed at its own start-up. Then the admin socket, then (with
 * scripts.hot-reload) the script watcher. Stop order is the reverse: stop watching, close the
 * admin socket, stop accepting, let in-flight events finish, stop the workers, remove the socket
 * file.
 *
 * <p>Reload ({@link #reload(String)}): on a change of the scripts directory, SIGHUP, or the admin
 * {@code reload} command. The pool validates the new set in a new generation of workers and
 * switches only if every one loaded every script; the outcome is logged and kept for
 * {@code status}. One reload at a time; others wait their turn.
 */
public final class Supervisor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    /** How long a graceful stop waits for events in flight before it stops the workers. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private final AgentConfig config;
    /** The agent id of the handshake and of every MetricsReport. */
    static final String AGENT_ID = "sentinel-lua-agent";

    private final WorkerPool pool;
    private final EventDispatcher dispatcher;
    private final ProxyListener listener;
    private final ReloadHistory history;
    private final StatusCollector status;
    private final ReentrantLock reloadLock = new ReentrantLock();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile AdminServer admin;
    private volatile ScriptWatcher watcher;
    private volatile ProxyReporter reporter;
    /** The workers' cgroups; closed after the pool. */
    private volatile WorkerCgroups cgroups;

    private Supervisor(AgentConfig config, WorkerPool pool, EventDispatcher dispatcher, ProxyListener listener,
                       ProcessSampler sampler, WorkerReady ready, Instant started) {
        this.config = config;
        this.pool = pool;
        this.dispatcher = dispatcher;
        this.listener = listener;
        this.history = ReloadHistory.started(ready, Instant.now());
        this.status = new StatusCollector(config, started, pool, dispatcher, listener, sampler, history,
                id -> {
                    WorkerCgroups fences = cgroups;
                    return fences == null ? null
                            : fences.find(id).map(c -> c.path().toString()).orElse(null);
                });
    }

    /**
     * Starts workers on the scripts of {@code scripts.directory}, then listens on {@code socket-path}.
     *
     * @throws ScriptSetException  the scripts directory cannot be read
     * @throws PoolStartException  no worker became ready
     * @throws IOException         the socket cannot be bound (SocketInUseException: a live agent holds it)
     */
    public static Supervisor start(AgentConfig config, WorkerRuntime runtime)
            throws ScriptSetException, PoolStartException, IOException {
        return start(config, runtime, new OshiProcessSampler());
    }

    /**
     * As {@link #start(AgentConfig, WorkerRuntime)}, with the sampler of the status figures given.
     * Also binds {@code admin.socket-path} (SocketInUseException when another agent holds it) and,
     * with scripts.hot-reload, watches the scripts directory.
     */
    public static Supervisor start(AgentConfig config, WorkerRuntime runtime, ProcessSampler sampler)
            throws ScriptSetException, PoolStartException, IOException {
        return start(config, runtime, sampler, WorkerPool.Tuning.DEFAULT);
    }

    /**
     * As {@link #start(AgentConfig, WorkerRuntime, ProcessSampler)}, with the pool's crash-loop
     * backoff and housekeeping timing given (tests shorten them; they are not configuration keys).
     */
    public static Supervisor start(AgentConfig config, WorkerRuntime runtime, ProcessSampler sampler,
                                   WorkerPool.Tuning tuning) throws ScriptSetException, PoolStartException, IOException {
        Instant started = Instant.now();
        ScriptSet scripts = ScriptSet.read(config.scripts().directory());
        LOG.info("supervisor - starting {} worker(s) x {} Lua VM(s) on {} script file(s) from {}",
                config.workers().count(), config.workers().vmsPerWorker(), scripts.sources().size(),
                config.scripts().directory());
        WorkerCgroups cgroups = WorkerCgroups.detect(config.workers());
        WorkerLauncher launcher = new WorkerLauncher(runtime, config, cgroups);
        if (!launcher.limits().commandPrefix().isEmpty()) {
            LOG.info("supervisor - workers start with {}", launcher.limits().describe());
        }
        LOG.info("supervisor - workers compile with {}", launcher.describeCompilers());
        WorkerPool pool = new WorkerPool(config, launcher.handles(), tuning);
        EventDispatcher dispatcher = null;
        try {
            WorkerReady ready = pool.start(scripts);
            logScripts(ready);
            DecisionPolicy policy = new DecisionPolicy(config.safety());
            dispatcher = new EventDispatcher(config, pool, policy, new TransactionStore(config));
            ProxyConnection.Settings settings = new ProxyConnection.Settings(capabilities(config, ready),
                    dispatcher, event -> policy.failure(event.correlationId(), FailureCause.INTERNAL_ERROR))
                    .withMaxInFlightEvents(Math.max(1, config.safety().maxConcurrent()));
            ProxyListener listener = ProxyListener.start(config.socketPath(), settings);
            Supervisor supervisor = new Supervisor(config, pool, dispatcher, listener, sampler, ready, started);
            supervisor.cgroups = cgroups;
            supervisor.reporter = ProxyReporter.start(listener,
                    () -> Health.of(pool.snapshot(), pool.generation(), pool.crashLoop(), config.workers().count()),
                    new AgentMetrics(AGENT_ID, listener, dispatcher, pool, System::currentTimeMillis)::report);
            try {
                supervisor.startAdministration(scripts);
            } catch (IOException | RuntimeException e) {
                supervisor.close();
                throw e;
            }
            LOG.info("supervisor - ready: {} on {}, fail-open {}", ScriptSet.agentVersion(), config.socketPath(),
                    config.safety().failOpen());
            return supervisor;
        } catch (PoolStartException | IOException | RuntimeException e) {
            if (dispatcher != null) {
                dispatcher.close();
            }
            pool.close();
            cgroups.close();
            throw e;
        }
    }

    /** What the handshake announces; the body events only when a loaded script has a body hook. */
    static AgentCapabilities capabilities(AgentConfig config, WorkerReady ready) {
        TreeSet<Integer> events = new TreeSet<>(List.of(1, 3));
        for (ScriptInfo script : ready.getScriptsList()) {
            for (Hook hook : script.getHooksList()) {
                switch (hook) {
                    case REQUEST_BODY, REQUEST_BODY_CHUNK -> events.add(2);
                    case RESPONSE_BODY -> events.add(4);
                    default -> { }
                }
            }
        }
        return new AgentCapabilities(AGENT_ID, "Sentinel Lua Agent", ScriptSet.agentVersion(),
                List.copyOf(events), config.safety().maxConcurrent(), config.scripts().maxBodyBytes(),
                65536, true, true, events.contains(2) || events.contains(4));
    }

    /** One line per script: "loaded auth-check v1.2.0 (10-auth.lua): hooks [REQUEST_HEADERS], priority 100". */
    private static void logLoaded(List<ScriptInfo> scripts) {
        for (ScriptInfo script : scripts) {
            LOG.info("scripts - loaded {}{} ({}): hooks {}, priority {}", script.getName(),
                    script.getVersion().isEmpty() ? "" : " v" + script.getVersion(), script.getFileName(),
                    script.getHooksList(), script.getPriority());
        }
    }

    private static void logScripts(WorkerReady ready) {
        logLoaded(ready.getScriptsList());
        for (ScriptProblem problem : ready.getProblemsList()) {
            LOG.error("scripts - {}:{}: {}, script left out", problem.getFileName(), problem.getLine(),
                    problem.getReason());
        }
        if (ready.getScriptsCount() == 0) {
            LOG.warn("scripts - no script loaded: every event is allowed");
        }
    }

    /** The admin socket, then (with scripts.hot-reload) the watcher of the scripts directory. */
    private void startAdministration(ScriptSet scripts) throws IOException {
        admin = AdminServer.start(config.admin().socketPath(), new AdminHandler() {
            @Override
            public StatusReport status() {
                return Supervisor.this.status();
            }

            @Override
            public ReloadReport reload() {
                return Supervisor.this.reload("admin socket");
            }
        });
        if (config.scripts().hotReload()) {
            watcher = ScriptWatcher.start(config.scripts().directory(), scripts,
                    ScriptWatcher.Settings.polling(config.scripts().watchInterval()), new ScriptWatcher.Listener() {
                        @Override
                        public void changed(ScriptSet changed) {
                            reload(changed, "file change");
                        }

                        @Override
                        public void unreadable(ScriptSetException error) {
                            rejected(error.getMessage(), "file change", System.nanoTime());
                        }
                    });
        }
    }

    // ------------------------------------------------------------------ reload and status

    /**
     * Reads the scripts directory and reloads it (see the class comment). Never throws: an
     * unreadable directory or a stopping agent is a rejected reload.
     *
     * @param trigger what asked for it, for the log and {@code status} (e.g. {@code SIGHUP})
     */
    public ReloadReport reload(String trigger) {
        long begin = System.nanoTime();
        ScriptSet scripts;
        try {
            scripts = ScriptSet.read(config.scripts().directory());
        } catch (ScriptSetException e) {
            return rejected(e.getMessage(), trigger, begin);
        }
        ScriptWatcher w = watcher;
        if (w != null) {
            w.seen(scripts);
        }
        return reload(scripts, trigger);
    }

    /** Reloads {@code scripts}; waits for a reload in progress first. */
    public ReloadReport reload(ScriptSet scripts, String trigger) {
        reloadLock.lock();
        try {
            long begin = System.nanoTime();
            if (closing.get()) {
                return rejected("the agent is stopping", trigger, begin);
            }
            LOG.info("scripts - reload ({}): validating {} script file(s) in a new generation of workers", trigger,
                    scripts.sources().size());
            ReloadResult result;
            try {
                result = pool.reload(scripts);
            } catch (IllegalStateException e) {
                return rejected(e.getMessage(), trigger, begin);
            }
            ReloadReport report = ReloadReport.of(result, trigger, Instant.now(), since(begin), pool.generation());
            history.record(report);
            if (report.accepted()) {
                LOG.info("scripts - reload ({}) accepted: generation {} serves {} script(s), after {} ms", trigger,
                        report.generation(), report.scripts().size(), report.durationMs());
                logLoaded(result.scripts());
            } else {
                LOG.error("scripts - reload ({}) rejected, generation {} keeps serving: {}", trigger,
                        report.generation(), String.join("; ", report.reasons()));
            }
            return report;
        } finally {
            reloadLock.unlock();
        }
    }

    private ReloadReport rejected(String reason, String trigger, long beginNanos) {
        ReloadReport report = ReloadReport.rejected(reason, trigger, Instant.now(), since(beginNanos),
                pool.generation());
        history.record(report);
        LOG.error("scripts - reload ({}) rejected, generation {} keeps serving: {}", trigger, report.generation(),
                reason);
        return report;
    }

    private static Duration since(long beginNanos) {
        return Duration.ofNanos(System.nanoTime() - beginNanos);
    }

    /** What {@code sentinel-lua-agent status} shows. Samples processes: not for the event path. */
    public StatusReport status() {
        return status.collect();
    }

    /** The last reload attempt, or {@code null} before the first. */
    public ReloadReport lastReload() {
        return history.last();
    }

    public AdminServer admin() {
        return admin;
    }

    public AgentConfig config() {
        return config;
    }

    public WorkerPool pool() {
        return pool;
    }

    public EventDispatcher dispatcher() {
        return dispatcher;
    }

    public ProxyListener listener() {
        return listener;
    }

    /** Where the workers run fenced by the kernel: their cgroups, or none. */
    public WorkerCgroups cgroups() {
        return cgroups;
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * Graceful stop: stop watching and close the admin socket, stop accepting, answer the events in
     * flight (up to {@link #DRAIN_TIMEOUT}), stop the workers, close the connections and remove
     * the socket file. Idempotent.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitQuietly();
            return;
        }
        LOG.info("supervisor - stopping: no new connections, finishing {} event(s) in flight", listener.inFlight());
        ScriptWatcher w = watcher;
        if (w != null) {
            w.close();
        }
        AdminServer a = admin;
        if (a != null) {
            a.close();
        }
        ProxyReporter r = reporter;
        if (r != null) {
            r.drain();
        }
        try {
            listener.stopAccepting();
            if (!listener.awaitDrained(DRAIN_TIMEOUT)) {
                LOG.warn("supervisor - {} event(s) still in flight after {}, stopping anyway",
                        listener.inFlight(), DRAIN_TIMEOUT);
            }
        } catch (IOException e) {
            LOG.warn("supervisor - stopping the listener failed: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pool.close();
            WorkerCgroups c = cgroups;
            if (c != null) {
                c.close();
            }
            dispatcher.close();
            try {
                listener.close();
            } catch (IOException e) {
                LOG.warn("supervisor - closing the socket failed: {}", e.toString());
            }
            LOG.info("supervisor - stopped");
            closed.countDown();
        }
    }

    private void awaitQuietly() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
