package io.zentinel.sentinel.lua.supervisor.admin;

import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.pool.DispatchCounters;
import io.zentinel.sentinel.lua.supervisor.pool.EventDispatcher;
import io.zentinel.sentinel.lua.supervisor.pool.FailureCause;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerPool;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerStatus;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyListener;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyStats;
import io.zentinel.sentinel.lua.supervisor.watch.ProcessSampler;
import io.zentinel.sentinel.lua.supervisor.watch.ProcessSampler.ProcessSample;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Assembles a {@link StatusReport} from the running parts. Runs on an admin connection thread;
 * sampling processes may take a moment (see {@link ProcessSampler}), nothing here touches the
 * event path beyond reading counters.
 */
public final class StatusCollector {
    private final AgentConfig config;
    private final Instant started;
    private final WorkerPool pool;
    private final EventDispatcher dispatcher;
    private final ProxyListener listener;
    private final ProcessSampler sampler;
    private final ReloadHistory history;
    private final IntFunction<String> cgroupOf;

    /** @param cgroupOf a worker's cgroup by worker id, or {@code null} when it runs in none */
    public StatusCollector(AgentConfig config, Instant started, WorkerPool pool, EventDispatcher dispatcher,
                           ProxyListener listener, ProcessSampler sampler, ReloadHistory history,
                           IntFunction<String> cgroupOf) {
        this.config = config;
        this.started = started;
        this.pool = pool;
        this.dispatcher = dispatcher;
        this.listener = listener;
        this.sampler = sampler;
        this.history = history;
        this.cgroupOf = cgroupOf;
    }

    public StatusReport collect() {
        Instant now = Instant.now();
        List<WorkerStatus> snapshot = pool.snapshot();
        long self = ProcessHandle.current().pid();
        List<Long> pids = new ArrayList<>();
        pids.add(self);
        snapshot.stream().map(WorkerStatus::pid).filter(pid -> pid > 0).forEach(pids::add);
        Map<Long, ProcessSample> samples = sampler.sample(pids);

        List<StatusReport.Worker> workers = new ArrayList<>(snapshot.size());
        for (WorkerStatus w : snapshot) {
            ProcessSample sample = samples.get(w.pid());
            String state = w.standby() && w.state() == WorkerState.READY ? "standby"
                    : w.state().name().toLowerCase(Locale.ROOT);
            workers.add(new StatusReport.Worker(w.id(), w.pid(), state,
                    w.generation(), w.slot(), config.workers().vmsPerWorker(), w.executions(), w.inFlight(),
                    sample == null ? null : sample.rssBytes(), sample == null ? null : sample.cpuPercent(),
                    timestamp(w.started()), seconds(w.started(), now), w.restarts(), w.lastExit(), cgroupOf.apply(w.id())));
        }
        ProcessSample own = samples.get(self);
        WorkerPool.CrashLoop crashLoop = pool.crashLoop();
        StatusReport.Agent agent = new StatusReport.Agent(ScriptSet.agentVersion(), self, timestamp(started),
                seconds(started, now), config.socketPath().toString(), config.admin().socketPath().toString(),
                config.scripts().directory().toString(), config.scripts().hotReload(),
                config.scripts().watchInterval().toMillis(), config.safety().failOpen(), config.workers().count(),
                config.workers().vmsPerWorker(), config.workers().standby(), crashLoop.earlyDeaths(),
                crashLoop.backoff().toMillis(), crashLoop.lastDeath());
        return new StatusReport(agent,
                new StatusReport.ProcessFigures(self, own == null ? null : own.rssBytes(),
                        own == null ? null : own.cpuPercent()),
                workers, history.serving(), history.last(), history.counts(), totals());
    }

    private StatusReport.Totals totals() {
        DispatchCounters counters = dispatcher.counters();
        Map<String, Long> decisions = new LinkedHashMap<>();
        for (DispatchCounters.DecisionKind kind : DispatchCounters.DecisionKind.values()) {
            decisions.put(kind.name().toLowerCase(Locale.ROOT), counters.decisions(kind));
        }
        Map<String, Long> failures = new LinkedHashMap<>();
        for (FailureCause cause : FailureCause.values()) {
            failures.put(cause.code(), counters.failures(cause));
        }
        Map<String, Map<String, Long>> byScript = new LinkedHashMap<>();
        counters.failuresByScript().forEach((script, cells) -> {
            Map<String, Long> row = new LinkedHashMap<>();
            cells.forEach((cause, count) -> row.put(cause.code(), count));
            byScript.put(script, row);
        });
        ProxyStats.Snapshot stats = listener.stats().snapshot();
        long requests = stats.eventsByType().getOrDefault(ProxyCodec.typeName(ProxyCodec.REQUEST_HEADERS), 0L);
        return new StatusReport.Totals(requests, stats.events(), stats.inFlight(), listener.openConnections(),
                decisions, failures, counters.scriptFailures(), byScript);
    }

    /** ISO-8601 in UTC to the millisecond, e.g. {@code 2026-11-25T10:00:05.123Z}. */
    public static String timestamp(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    private static long seconds(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toSeconds());
    }
}
