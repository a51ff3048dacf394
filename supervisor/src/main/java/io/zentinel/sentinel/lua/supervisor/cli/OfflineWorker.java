package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.pool.FailureCause;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerGoneException;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerHandle;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerLauncher;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * One real, sandboxed worker JVM for the offline commands ({@code check}, {@code test}): launched
 * with the agent's own command line ({@link WorkerLauncher#command()}) and driven through a
 * {@link WorkerHandle}, exactly as the pool drives its workers, but with a single Lua VM and no
 * pool around it. The supervisor never runs Lua in its own JVM.
 *
 * <p>The worker's stderr is read here rather than by the pool's copier, so that the lines of the
 * script logger (Lua {@code print} and {@code sentinel.log}) can be shown by {@code test}; other
 * lines are re-logged under {@code worker-1} (see {@link #onLine}).
 */
final class OfflineWorker implements AutoCloseable {
    /** The worker's script logger ({@code ScriptLog.LOGGER} in the worker module). */
    static final String SCRIPT_LOGGER = "io.zentinel.sentinel.lua.script";
    static final int WORKER_ID = 1;
    static final int MAX_SCRIPT_LOG_LINES = 1000;
    private static final int MAX_LINE_CHARS = 8 * 1024;
    private static final int DIAGNOSTIC_LINES = 5;

    private static final Logger WORKER_LOG = LoggerFactory.getLogger("worker-" + WORKER_ID);

    /** The worker could not be launched or did not get ready. */
    static final class StartException extends Exception {
        private static final long serialVersionUID = 1L;

        StartException(String message) {
            super(message);
        }
    }

    private final WorkerHandle handle;
    private final ScheduledThreadPoolExecutor timer;
    private final Thread stderr;
    private final Duration callWait;
    private final Duration stopWait;
    private final List<String> scriptLog = new ArrayList<>();
    private final Deque<String> lastLines = new ArrayDeque<>();
    private WorkerReady ready;

    private OfflineWorker(Process process, AgentConfig config) {
        this.timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("offline-worker-timer").factory());
        this.timer.setRemoveOnCancelPolicy(true);
        this.handle = new WorkerHandle(WORKER_ID, process, config, timer);
        this.stderr = Thread.ofPlatform().daemon().name("worker-" + WORKER_ID + "-stderr")
                .start(() -> copyStderr(process));
        Duration killGrace = config.workers().killGrace();
        this.callWait = config.limits().maxExecutionTime().plus(killGrace).plusSeconds(5);
        this.stopWait = config.limits().maxExecutionTime().plus(killGrace.multipliedBy(3)).plusSeconds(2);
    }

    /**
     * Launches a worker on {@code scripts} with one Lua VM and waits until it is ready.
     *
     * @throws StartException when the JVM cannot be launched, exits, or is not ready within workers.start-timeout
     */
    static OfflineWorker start(AgentConfig config, WorkerRuntime runtime, ScriptSet scripts) throws StartException {
        List<String> command = new WorkerLauncher(runtime, config).command();
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().retainAll(WorkerLauncher.INHERITED_ENVIRONMENT);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new StartException("cannot launch a worker JVM (" + command.getFirst() + "): " + e.getMessage());
        }
        OfflineWorker worker = new OfflineWorker(process, config);
        try {
            worker.ready = worker.handle.start(scripts.toInit(WORKER_ID, config).toBuilder().setVmCount(1).build())
                    .get(config.workers().startTimeout().plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
            return worker;
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            worker.close();
            String why = cause instanceof TimeoutException ? "no answer within workers.start-timeout"
                    : cause.getMessage();
            throw new StartException("the worker JVM did not start: " + why + worker.diagnostics());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            worker.close();
            throw new StartException("interrupted while the worker JVM started");
        }
    }

    /** The worker's answer to the init: scripts that loaded, and problems. */
    WorkerReady ready() {
        return ready;
    }

    /**
     * Runs one call.
     *
     * @throws WorkerGoneException when the worker died or was killed for overrunning the call's deadline
     */
    HookResult call(HookCall call) throws WorkerGoneException, InterruptedException {
        if (!handle.tryReserve()) {
            throw new WorkerGoneException(FailureCause.WORKER_CRASHED,
                    "worker-" + WORKER_ID + " - not ready (" + handle.state() + ")");
        }
        try {
            return handle.call(call).get(callWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WorkerGoneException gone) {
                throw gone;
            }
            throw new IllegalStateException("call failed unexpectedly", e.getCause());
        } catch (TimeoutException e) {
            handle.kill("no result within " + callWait);
            throw new WorkerGoneException(FailureCause.TIME_LIMIT,
                    "worker-" + WORKER_ID + " - no result within " + callWait);
        } finally {
            handle.release();
        }
    }

    /** Lines the scripts logged, {@code [LEVEL] script <name> - <message>}, oldest first. */
    List<String> scriptLog() {
        synchronized (scriptLog) {
            return List.copyOf(scriptLog);
        }
    }

    /** Waits for the stderr copy to reach the end (after {@link #close()}), so the script log is complete. */
    void awaitLog(Duration timeout) throws InterruptedException {
        stderr.join(timeout);
    }

    private String diagnostics() {
        try {
            stderr.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lastLines) {
            return lastLines.isEmpty() ? "" : "; its last output:\n  " + String.join("\n  ", lastLines);
        }
    }

    private void copyStderr(Process process) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.length() > MAX_LINE_CHARS) {
                    line = line.substring(0, MAX_LINE_CHARS) + " [line cut]";
                }
                if (!line.isBlank()) {
                    onLine(line);
                }
            }
        } catch (IOException e) {
            WORKER_LOG.debug("stderr closed: {}", e.getMessage());
        }
    }

    /**
     * Script lines go to the script log. The worker's own lines are relayed under {@code worker-1}:
     * errors and unprefixed lines (JVM messages) at their level, the rest at DEBUG, because the
     * commands print what the worker found (problems, failures) themselves.
     */
    private void onLine(String line) {
        Level level = Level.WARN;
        String text = line;
        boolean prefixed = false;
        for (Level candidate : Level.values()) {
            String prefix = "[" + candidate + "] ";
            if (line.startsWith(prefix)) {
                level = candidate;
                text = line.substring(prefix.length());
                prefixed = true;
                break;
            }
        }
        String scriptPrefix = SCRIPT_LOGGER + " - ";
        if (text.startsWith(scriptPrefix)) {
            synchronized (scriptLog) {
                if (scriptLog.size() < MAX_SCRIPT_LOG_LINES) {
                    scriptLog.add("[" + level + "] " + text.substring(scriptPrefix.length()));
                }
            }
            return;
        }
        synchronized (lastLines) {
            lastLines.addLast(line);
            if (lastLines.size() > DIAGNOSTIC_LINES) {
                lastLines.removeFirst();
            }
        }
        WORKER_LOG.atLevel(prefixed && level != Level.ERROR ? Level.DEBUG : level).log(text);
    }

    /** Retires the worker and waits for its exit; kills it if it does not go. Idempotent. */
    @Override
    public void close() {
        handle.retire("offline run finished");
        try {
            handle.exit().get(stopWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            handle.kill("still alive " + stopWait + " after retiring");
            try {
                handle.exit().get(5, TimeUnit.SECONDS);
            } catch (TimeoutException | ExecutionException ignored) {
                WORKER_LOG.error("still alive after SIGKILL");
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            handle.kill("interrupted");
        } finally {
            timer.shutdownNow();
        }
    }
}
