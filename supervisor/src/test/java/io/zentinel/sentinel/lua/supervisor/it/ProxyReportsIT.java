package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import io.zentinel.sentinel.lua.supervisor.report.ProxyReporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HealthStatus and MetricsReport frames from a real agent, as a proxy connection receives them. */
class ProxyReportsIT {
    @TempDir
    Path dir;

    @Test
    void aConnectionHearsTheHealthThenTheMetricsOfWhatItSent() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).scriptResource("seed-example.lua")) {
            agent.start("workers { count 2 }");
            FakeProxy proxy = agent.connect();
            for (int i = 0; i < 10; i++) {
                proxy.request(FakeProxy.requestHeaders("m-" + i, "GET", "/api/x", Map.of()))
                        .get(30, TimeUnit.SECONDS);
            }

            FakeProxy.Frame health = proxy.nextOtherFrame(Duration.ofSeconds(5));
            assertNotNull(health, "a HealthStatus within a few health checks");
            assertEquals(ProxyCodec.HEALTH_STATUS, health.type());
            assertEquals("{\"state\":1,\"reason\":\"2 of 2 workers ready\"}", health.text());

            FakeProxy.Frame metrics = proxy.nextOtherFrame(ProxyReporter.METRICS_INTERVAL.plusSeconds(5));
            while (metrics != null && metrics.type() == ProxyCodec.HEALTH_STATUS) {
                metrics = proxy.nextOtherFrame(ProxyReporter.METRICS_INTERVAL.plusSeconds(5));
            }
            assertNotNull(metrics, "a MetricsReport within its interval");
            assertEquals(ProxyCodec.METRICS_REPORT, metrics.type());
            JsonNode report = metrics.json();
            assertEquals("sentinel-lua-agent", report.get("agent_id").textValue());
            assertEquals(ProxyReporter.METRICS_INTERVAL.toMillis(), report.get("interval_ms").longValue());
            assertEquals(10, counter(report, "lua_agent_events_total", "type", "RequestHeaders"));
            assertEquals(10, counter(report, "lua_agent_decisions_total", "decision", "block"),
                    "the seed script blocks /api requests without Authorization");
            assertEquals(0, counter(report, "lua_agent_limit_hits_total", "limit", "time-limit"));
            assertEquals(2.0, gauge(report, "lua_agent_workers_ready"));
            assertEquals(List.of(), proxy.violations());
        }
    }

    private static long counter(JsonNode report, String name, String label, String value) {
        for (JsonNode c : report.get("counters")) {
            if (c.get("name").textValue().equals(name) && value.equals(c.get("labels").path(label).textValue())) {
                return c.get("value").longValue();
            }
        }
        throw new AssertionError("no counter " + name + "{" + label + "=" + value + "} in " + report);
    }

    private static double gauge(JsonNode report, String name) {
        for (JsonNode g : report.get("gauges")) {
            if (g.get("name").textValue().equals(name)) {
                assertTrue(g.get("value").isNumber());
                return g.get("value").doubleValue();
            }
        }
        throw new AssertionError("no gauge " + name + " in " + report);
    }
}
