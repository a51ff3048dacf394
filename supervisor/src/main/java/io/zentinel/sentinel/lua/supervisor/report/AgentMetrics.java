package io.zentinel.sentinel.lua.supervisor.report;

import io.zentinel.sentinel.lua.supervisor.pool.DispatchCounters;
import io.zentinel.sentinel.lua.supervisor.pool.DispatchCounters.DecisionKind;
import io.zentinel.sentinel.lua.supervisor.pool.EventDispatcher;
import io.zentinel.sentinel.lua.supervisor.pool.FailureCause;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerPool;
import io.zentinel.sentinel.lua.supervisor.proxy.MetricsReport;
import io.zentinel.sentinel.lua.supervisor.proxy.MetricsReport.Counter;
import io.zentinel.sentinel.lua.supervisor.proxy.MetricsReport.Gauge;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyListener;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The agent's counters and gauges as a MetricsReport (0x31), which the proxy adds to its own
 * metrics export. Names start with {@code lua_agent_}; counters are totals since the agent started.
 */
public final class AgentMetrics {
    private final String agentId;
    private final ProxyListener listener;
    private final EventDispatcher dispatcher;
    private final WorkerPool pool;
    private final LongSupplier clockMillis;

    public AgentMetrics(String agentId, ProxyListener listener, EventDispatcher dispatcher, WorkerPool pool,
                        LongSupplier clockMillis) {
        this.agentId = agentId;
        this.listener = listener;
        this.dispatcher = dispatcher;
        this.pool = pool;
        this.clockMillis = clockMillis;
    }

    public MetricsReport report(long intervalMillis) {
        List<Counter> counters = new ArrayList<>();
        ProxyStats.Snapshot proxy = listener.stats().snapshot();
        proxy.eventsByType().forEach((type, n) -> counters.add(new Counter("lua_agent_events_total",
                "Events received from the proxy, by type", Map.of("type", type), n)));
        counters.add(new Counter("lua_agent_fallbacks_total", "Events answered by the fallback decision",
                Map.of(), proxy.fallbacks()));
        DispatchCounters dispatch = dispatcher.counters();
        for (DecisionKind kind : DecisionKind.values()) {
            counters.add(new Counter("lua_agent_decisions_total", "Decisions sent, by kind",
                    Map.of("decision", kind.name().toLowerCase(Locale.ROOT)), dispatch.decisions(kind)));
        }
        for (FailureCause cause : FailureCause.values()) {
            counters.add(new Counter(cause.code().endsWith("-limit") ? "lua_agent_limit_hits_total"
                    : "lua_agent_errors_total", cause.code().endsWith("-limit")
                    ? "Events that hit a limit, by limit" : "Events answered with the failure mode, by cause",
                    Map.of(cause.code().endsWith("-limit") ? "limit" : "cause", cause.code()),
                    dispatch.failures(cause)));
        }
        dispatch.failuresByScript().forEach((script, byCause) -> byCause.forEach((cause, n) -> counters.add(
                new Counter("lua_agent_script_failures_total", "Failure-mode decisions by script and cause",
                        Map.of("script", script, "cause", cause.code()), n))));
        List<Gauge> gauges = new ArrayList<>();
        gauges.add(new Gauge("lua_agent_workers_ready", "Ready workers of the serving generation", Map.of(),
                Health.readyWorkers(pool.snapshot(), pool.generation())));
        gauges.add(new Gauge("lua_agent_events_in_flight", "Events being handled", Map.of(), dispatcher.inFlight()));
        gauges.add(new Gauge("lua_agent_connections_open", "Open proxy connections", Map.of(),
                proxy.connectionsOpen()));
        return new MetricsReport(agentId, clockMillis.getAsLong(), intervalMillis, counters, gauges, List.of());
    }
}
