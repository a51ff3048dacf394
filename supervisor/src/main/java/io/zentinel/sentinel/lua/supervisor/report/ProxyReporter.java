package io.zentinel.sentinel.lua.supervisor.report;

import io.zentinel.sentinel.lua.supervisor.proxy.MetricsReport;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyListener;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the proxy how the agent is (agent protocol v2, §10): a HealthStatus on every connection
 * whenever the health changes (checked every {@link #HEALTH_CHECK}) and with every MetricsReport,
 * which goes out every {@link #METRICS_INTERVAL}. A connection that completed its handshake after
 * a change hears of the health with the next report. Runs on one platform daemon thread; never blocks on a socket.
 */
public final class ProxyReporter implements AutoCloseable {
    public static final Duration HEALTH_CHECK = Duration.ofSeconds(1);
    public static final Duration METRICS_INTERVAL = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(ProxyReporter.class);

    private final ProxyListener listener;
    private final ProxyCodec codec = new ProxyCodec();
    private final Supplier<Health> health;
    private final LongFunction<MetricsReport> metrics;
    private final Duration metricsInterval;
    private final ScheduledExecutorService timer;
    private Health announced; // timer thread only
    private long lastMetricsNanos; // timer thread only

    private ProxyReporter(ProxyListener listener, Supplier<Health> health, LongFunction<MetricsReport> metrics,
                          Duration metricsInterval) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.health = Objects.requireNonNull(health, "health");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.metricsInterval = Objects.requireNonNull(metricsInterval, "metricsInterval");
        this.timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("proxy-reporter").factory());
    }

    /**
     * Starts reporting to the connections of {@code listener}; {@code metrics} makes the report
     * for an interval given in milliseconds.
     */
    public static ProxyReporter start(ProxyListener listener, Supplier<Health> health,
                                      LongFunction<MetricsReport> metrics) {
        return start(listener, health, metrics, HEALTH_CHECK, METRICS_INTERVAL);
    }

    static ProxyReporter start(ProxyListener listener, Supplier<Health> health, LongFunction<MetricsReport> metrics,
                               Duration healthCheck, Duration metricsInterval) {
        ProxyReporter reporter = new ProxyReporter(listener, health, metrics, metricsInterval);
        reporter.lastMetricsNanos = System.nanoTime();
        reporter.timer.scheduleWithFixedDelay(reporter::tick, healthCheck.toNanos(), healthCheck.toNanos(),
                TimeUnit.NANOSECONDS);
        return reporter;
    }

    private void tick() {
        try {
            Health now = health.get();
            long nanos = System.nanoTime();
            boolean metricsDue = nanos - lastMetricsNanos >= metricsInterval.toNanos();
            if (!now.equals(announced) || metricsDue) {
                if (announced != null && now.state() != announced.state()) {
                    LOG.info("health - {} ({}), was {}", now.state(), now.reason(), announced.state());
                }
                announced = now;
                listener.broadcast(ProxyCodec.HEALTH_STATUS, codec.encodeHealthStatus(now.state(), now.reason()));
            }
            if (metricsDue) {
                lastMetricsNanos = nanos;
                listener.broadcast(ProxyCodec.METRICS_REPORT,
                        codec.encodeMetricsReport(metrics.apply(metricsInterval.toMillis())));
            }
        } catch (RuntimeException e) {
            LOG.error("health - reporting to the proxy failed", e);
        }
    }

    /** Announces that the agent is stopping (draining), then stops reporting. */
    public void drain() {
        timer.shutdownNow();
        listener.broadcast(ProxyCodec.HEALTH_STATUS,
                codec.encodeHealthStatus(Health.draining().state(), Health.draining().reason()));
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
