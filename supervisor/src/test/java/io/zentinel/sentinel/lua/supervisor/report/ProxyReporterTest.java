package io.zentinel.sentinel.lua.supervisor.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentCapabilities;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import io.zentinel.sentinel.lua.supervisor.proxy.MetricsReport;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec.HealthState;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyConnection;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyReporterTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @Test
    void healthGoesOutOnEveryChangeAndWithEachMetricsReport() throws Exception {
        AgentCapabilities caps = new AgentCapabilities("a", "A", "1", List.of(1, 3), 100, 1024, 65536, true, true, false);
        AtomicReference<Health> health = new AtomicReference<>(new Health(HealthState.HEALTHY, "2 of 2 workers ready"));
        MetricsReport report = new MetricsReport("a", 1000, 300, List.of(new MetricsReport.Counter(
                "lua_agent_events_total", null, Map.of("type", "RequestHeaders"), 7)), List.of(), List.of());
        try (ProxyListener listener = ProxyListener.start(dir.resolve("a.sock"), new ProxyConnection.Settings(caps,
                e -> AgentResponse.allow(e.correlationId()), e -> AgentResponse.allow(e.correlationId())));
             FakeProxy proxy = FakeProxy.connect(dir.resolve("a.sock"))) {
            proxy.handshake();
            try (ProxyReporter reporter = ProxyReporter.start(listener, health::get, interval -> report,
                    Duration.ofMillis(20), Duration.ofMillis(300))) {
                assertEquals("{\"state\":1,\"reason\":\"2 of 2 workers ready\"}", next(proxy, ProxyCodec.HEALTH_STATUS));
                health.set(new Health(HealthState.UNHEALTHY, "0 of 2 workers ready"));
                assertEquals("{\"state\":4,\"reason\":\"0 of 2 workers ready\"}", next(proxy, ProxyCodec.HEALTH_STATUS));

                FakeProxy.Frame metrics = proxy.nextOtherFrame(WAIT);
                while (metrics != null && metrics.type() == ProxyCodec.HEALTH_STATUS) {
                    assertEquals(4, metrics.json().get("state").intValue(), "repeated with the report");
                    metrics = proxy.nextOtherFrame(WAIT);
                }
                assertNotNull(metrics);
                assertEquals(ProxyCodec.METRICS_REPORT, metrics.type());
                JsonNode json = metrics.json();
                assertEquals("a", json.get("agent_id").textValue());
                assertEquals(7, json.get("counters").get(0).get("value").longValue());

                reporter.drain();
                FakeProxy.Frame last;
                do {
                    last = proxy.nextOtherFrame(WAIT);
                } while (last != null && last.type() != ProxyCodec.HEALTH_STATUS);
                assertNotNull(last);
                assertEquals(3, last.json().get("state").intValue(), "draining");
            }
            assertEquals(List.of(), proxy.violations());
        }
    }

    private static String next(FakeProxy proxy, int type) throws InterruptedException {
        FakeProxy.Frame frame = proxy.nextOtherFrame(WAIT);
        assertNotNull(frame, "no frame within " + WAIT);
        assertEquals(type, frame.type());
        return frame.text();
    }
}
