package io.zentinel.sentinel.lua.supervisor;

import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.ScriptInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.pool.DecisionPolicy;
import io.zentinel.sentinel.lua.supervisor.pool.EventDispatcher;
import io.zentinel.sentinel.lua.supervisor.pool.FailureCause;
import io.zentinel.sentinel.lua.supervisor.pool.PoolStartException;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSetException;
import io.zentinel.sentinel.lua.supervisor.pool.TransactionStore;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerPool;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentCapabilities;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyConnection;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyListener;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent: the worker pool started on the script set, then the proxy socket.
 *
 * <p>Start order matters: the proxy must find the socket only once workers can answer, because it
 * never retries a connection that failed at its own start-up. Stop order is the reverse: stop
 * accepting, let in-flight events finish, stop the workers, remove the socket file.
 */
public final class Supervisor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    /** How long a graceful stop waits for events in flight before it stops the workers. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private final AgentConfig config;
    private final WorkerPool pool;
    private final EventDispatcher dispatcher;
    private final ProxyListener listener;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);

    private Supervisor(AgentConfig config, WorkerPool pool, EventDispatcher dispatcher, ProxyListener listener) {
        this.config = config;
        this.pool = pool;
        this.dispatcher = dispatcher;
        this.listener = listener;
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
        ScriptSet scripts = ScriptSet.read(config.scripts().directory());
        LOG.info("supervisor - starting {} worker(s) x {} Lua VM(s) on {} script file(s) from {}",
                config.workers().count(), config.workers().vmsPerWorker(), scripts.sources().size(),
                config.scripts().directory());
        WorkerPool pool = WorkerPool.launching(config, runtime);
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
            LOG.info("supervisor - ready: {} on {}, fail-open {}", ScriptSet.agentVersion(), config.socketPath(),
                    config.safety().failOpen());
            return new Supervisor(config, pool, dispatcher, listener);
        } catch (PoolStartException | IOException | RuntimeException e) {
            if (dispatcher != null) {
                dispatcher.close();
            }
            pool.close();
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
        return new AgentCapabilities("sentinel-lua-agent", "Sentinel Lua Agent", ScriptSet.agentVersion(),
                List.copyOf(events), config.safety().maxConcurrent(), config.scripts().maxBodyBytes(),
                65536, false, false, events.contains(2) || events.contains(4));
    }

    private static void logScripts(WorkerReady ready) {
        for (ScriptInfo script : ready.getScriptsList()) {
            LOG.info("scripts - loaded {} {} ({}): hooks {}, priority {}", script.getName(),
                    script.getVersion().isEmpty() ? "" : "v" + script.getVersion(), script.getFileName(),
                    script.getHooksList(), script.getPriority());
        }
        for (ScriptProblem problem : ready.getProblemsList()) {
            LOG.error("scripts - {}:{}: {}, script left out", problem.getFileName(), problem.getLine(),
                    problem.getReason());
        }
        if (ready.getScriptsCount() == 0) {
            LOG.warn("scripts - no script loaded: every event is allowed");
        }
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

    /** Blocks until {@link #close()} has finished. */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * Graceful stop: stop accepting, answer the events in flight (up to {@link #DRAIN_TIMEOUT}),
     * stop the workers, close the connections and remove the socket file. Idempotent.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitQuietly();
            return;
        }
        LOG.info("supervisor - stopping: no new connections, finishing {} event(s) in flight", listener.inFlight());
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
