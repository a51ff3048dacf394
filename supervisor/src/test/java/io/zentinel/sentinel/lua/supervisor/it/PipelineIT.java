package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import io.zentinel.sentinel.lua.supervisor.proxy.GoldenFrames;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The whole pipeline with real parts: a Unix socket, the supervisor, worker JVMs running LuaJ,
 * and proxy connections that pipeline like Sentinel does.
 */
class PipelineIT {
    private static final long WAIT_SECONDS = 30;
    /** Sentinel keeps at most this many calls to one agent in flight (max-concurrent-calls). */
    private static final int PROXY_MAX_IN_FLIGHT = 100;

    @TempDir
    Path dir;

    private static String requestHeaders(String id, String method, String uri, boolean withAuth) {
        Map<String, List<String>> headers = new HashMap<>();
        headers.put("host", List.of("example.com"));
        if (withAuth) {
            headers.put("authorization", List.of("Bearer t0ken"));
        }
        return FakeProxy.requestHeaders(id, method, uri, headers);
    }

    private static String decisionKind(JsonNode response) {
        JsonNode decision = response.get("decision");
        return decision.isTextual() ? decision.asText() : decision.fieldNames().next();
    }

    @Test
    void seedExampleScriptDecidesForFourPipelinedConnections() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).scriptResource("seed-example.lua")) {
            // 100 events in flight wait for 8 Lua VMs: with the default budgets, workers stalled for
            // 350 ms on a crowded machine leave the queued ones "overloaded", answered fail-open
            agent.start(AgentHarness.ROOMY_SCRIPT_TIMEOUT, "workers { count 2 }\n" + AgentHarness.ROOMY_EXECUTION_TIME);
            List<FakeProxy> proxies = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                proxies.add(agent.connect());
            }
            Map<String, CompletableFuture<JsonNode>> answers = new HashMap<>();
            for (int n = 0; n < 200; n++) {
                if (n >= PROXY_MAX_IN_FLIGHT) {
                    answers.get("req-" + (n - PROXY_MAX_IN_FLIGHT)).get(WAIT_SECONDS, TimeUnit.SECONDS);
                }
                FakeProxy proxy = proxies.get(n % 4);
                String id = "req-" + n;
                String uri = n % 5 == 4 ? "/static/logo.png" : "/api/users?id=" + n;
                answers.put(id, proxy.request(requestHeaders(id, n % 2 == 0 ? "GET" : "POST", uri, n % 3 == 0)));
            }
            for (int n = 0; n < 200; n++) {
                String id = "req-" + n;
                JsonNode response = answers.get(id).get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertEquals(id, response.at("/audit/custom/correlation_id").asText());
                boolean routed = n % 5 != 4;
                boolean authorized = n % 3 == 0;
                if (routed && !authorized) {
                    assertEquals("block", decisionKind(response), id + ": " + response);
                    assertEquals(403, response.at("/decision/block/status").asInt(), id + ": " + response);
                } else {
                    assertEquals("allow", decisionKind(response), id + ": " + response);
                }
                JsonNode ops = response.get("request_headers");
                if (routed) {
                    assertEquals(1, ops.size(), id + ": " + ops);
                    assertEquals("X-Processed-By".toLowerCase(), ops.at("/0/add/name").asText().toLowerCase());
                    assertEquals("my-script", ops.at("/0/add/value").asText());
                } else {
                    assertEquals(0, ops.size(), id + ": " + ops);
                }
            }
            for (FakeProxy proxy : proxies) {
                assertTrue(proxy.violations().isEmpty(), proxy.violations().toString());
                assertTrue(proxy.unmatchedResponses().isEmpty(), proxy.unmatchedResponses().toString());
            }
        }
    }

    @Test
    void responseHeadersHookAddsHeadersToTheResponse() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("headers.lua", """
                -- name: security-headers
                function on_response_headers(response)
                    if response:get_status() == 200 then
                        response:add_header("X-Frame-Options", "DENY")
                    end
                end
                """)) {
            agent.start("");
            FakeProxy proxy = agent.connect();
            proxy.request(requestHeaders("r1", "GET", "/", false)).get(WAIT_SECONDS, TimeUnit.SECONDS);
            JsonNode ok = proxy.request(ProxyCodec.RESPONSE_HEADERS, FakeProxy.responseHeaders("r1", 200))
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals("allow", decisionKind(ok));
            assertEquals("x-frame-options", ok.at("/response_headers/0/add/name").asText().toLowerCase());
            assertEquals("DENY", ok.at("/response_headers/0/add/value").asText());
            JsonNode notFound = proxy.request(ProxyCodec.RESPONSE_HEADERS, FakeProxy.responseHeaders("r2", 404))
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(0, notFound.get("response_headers").size());
        }
    }

    @Test
    void scriptErrorFailsOpenWithAnAuditTag() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("broken.lua", """
                function on_request_headers(request)
                    error("boom")
                end
                """)) {
            agent.start("safety { fail-open true }");
            JsonNode response = agent.connect().request(requestHeaders("e1", "GET", "/", false))
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals("allow", decisionKind(response));
            List<String> tags = new ArrayList<>();
            response.at("/audit/tags").forEach(t -> tags.add(t.asText()));
            assertTrue(tags.contains("lua-agent:fail-open"), tags.toString());
            assertTrue(tags.contains("lua-agent:script-error"), tags.toString());
        }
    }

    @Test
    void scriptErrorFailsClosedWithBlock500() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("broken.lua", """
                function on_request_headers(request)
                    local t = nil
                    return t.field
                end
                """)) {
            agent.start("safety { fail-open false }");
            JsonNode response = agent.connect().request(requestHeaders("e2", "GET", "/", false))
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals("block", decisionKind(response));
            assertEquals(500, response.at("/decision/block/status").asInt());
        }
    }

    @Test
    void workersKilledMidLoadLoseNoResponse() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).scriptResource("seed-example.lua")) {
            agent.start("workers { count 2 }\nsafety { fail-open true }");
            List<FakeProxy> proxies = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                proxies.add(agent.connect());
            }
            List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
            int total = 2000;
            for (int n = 0; n < total; n++) {
                if (n >= PROXY_MAX_IN_FLIGHT) {
                    answers.get(n - PROXY_MAX_IN_FLIGHT).get(WAIT_SECONDS, TimeUnit.SECONDS);
                }
                answers.add(proxies.get(n % 4).request(requestHeaders("k-" + n, "GET", "/api/x", true)));
                if (n == 300 || n == 1200) {
                    // the worker killed at 300 may still be starting again, and a slow machine can
                    // have both starting: kill one that serves
                    Await.until("a ready worker", Duration.ofSeconds(WAIT_SECONDS), () -> !agent.readyWorkerPids().isEmpty());
                    long pid = agent.readyWorkerPids().getFirst();
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
            int failOpen = 0;
            for (int n = 0; n < total; n++) {
                JsonNode response = answers.get(n).get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertEquals("k-" + n, response.at("/audit/custom/correlation_id").asText());
                assertEquals("allow", decisionKind(response));
                if (response.at("/audit/tags").toString().contains("lua-agent:fail-open")) {
                    failOpen++;
                }
            }
            // Calls in flight on a killed worker, and calls that found no free Lua VM while a
            // replacement started, are answered with the failure mode; the others ran the script.
            assertTrue(failOpen < total - PROXY_MAX_IN_FLIGHT, "fail-open answers: " + failOpen + " of " + total);
            Await.until("killed workers replaced", Duration.ofSeconds(WAIT_SECONDS),
                    () -> agent.readyWorkerPids().size() == 2);
        }
    }

    /**
     * A proxy that exits with answers unread in its socket makes the kernel reset the agent's end
     * (a read fails with "Connection reset by peer") or, when the agent was writing, junixsocket
     * close it under the reader ("Not open"); which one the reader meets, and whether it meets
     * either before a plain end of file, is a race. None of them is a failure of the agent.
     */
    @Test
    void aProxyThatExitsWithAnswersUnreadIsNoWarning() throws Exception {
        try (LogTap log = new LogTap(); AgentHarness agent = new AgentHarness(dir).scriptResource("seed-example.lua")) {
            Supervisor supervisor = agent.start("workers { count 1 }\n");
            for (int round = 1; round <= 8; round++) {
                AFUNIXSocket leaving = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(agent.socket()));
                leaving.setShutdownOnClose(false); // a plain close(2), as when the proxy's process exits
                FrameWriter frames = new FrameWriter(leaving.getOutputStream(), FrameLimits.PROXY_V2);
                frames.write((byte) ProxyCodec.HANDSHAKE_REQUEST, GoldenFrames.HANDSHAKE_REQUEST.payload());
                for (int n = 0; n < 20; n++) {
                    frames.write((byte) ProxyCodec.REQUEST_HEADERS, requestHeaders("gone-" + n, "GET", "/api/x", true)
                            .getBytes(StandardCharsets.UTF_8));
                }
                int events = 20 * round;
                Await.until("the answers written", Duration.ofSeconds(WAIT_SECONDS), () -> {
                    var totals = supervisor.status().totals();
                    return totals.events() == events && totals.inFlight() == 0;
                });
                leaving.close(); // nothing read, not even the handshake's answer
                Await.until("the agent closed its end", Duration.ofSeconds(WAIT_SECONDS),
                        () -> supervisor.status().totals().connections() == 0);
            }
            assertEquals(List.of(), log.matching("WARN.*proxy-conn"));
            JsonNode answer = agent.connect().request(requestHeaders("after", "GET", "/api/x", true))
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals("allow", decisionKind(answer), "the agent serves on: " + answer);
        }
    }

    @Test
    void pingIsAnsweredWithPong() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir)) {
            agent.start("");
            FakeProxy proxy = agent.connect();
            String ping = FakeProxy.ping(7, 1_782_898_200_123L);
            proxy.send(ProxyCodec.PING, ping);
            FakeProxy.Frame pong = proxy.nextOtherFrame(Duration.ofSeconds(WAIT_SECONDS));
            assertEquals(ProxyCodec.PONG, pong.type());
            assertEquals(ping, pong.text());
        }
    }

    @Test
    void closeAnswersInFlightEventsAndRemovesTheSocket() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("slow.lua", """
                function on_request_headers(request)
                    local stop = os.clock() + 0.05
                    while os.clock() < stop do end
                end
                """)) {
            agent.start("timeout 2000", "resource-limits { max-execution-time 2000 }");
            FakeProxy proxy = agent.connect();
            List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
            for (int n = 0; n < 8; n++) {
                answers.add(proxy.request(requestHeaders("s-" + n, "GET", "/", false)));
            }
            Thread.sleep(20);
            agent.supervisor().close();
            for (CompletableFuture<JsonNode> answer : answers) {
                assertEquals("allow", decisionKind(answer.get(WAIT_SECONDS, TimeUnit.SECONDS)));
            }
            assertFalse(Files.exists(agent.socket()), "socket file removed");
        }
    }
}
