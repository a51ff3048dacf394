package io.zentinel.sentinel.lua.supervisor.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.protocol.frame.FlushBatch;
import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Protocol behaviour of {@link ProxyConnection}, through a real junixsocket listener and {@link FakeProxy}. */
class ProxyConnectionTest {
    static final AgentCapabilities CAPS = new AgentCapabilities("lua-agent-test", "Lua agent (test)", "0.1.0",
            List.of(1, 2, 3, 4), 100, 1_048_576, 65_536, true, true, false);
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private ProxyListener listener;
    private final List<FakeProxy> proxies = new ArrayList<>();

    @AfterEach
    void tearDown() throws IOException {
        for (FakeProxy p : proxies) {
            p.close();
        }
        if (listener != null) {
            listener.close();
        }
    }

    /** Answers allow; a malformed event gets {@code block 400} so tests can tell. */
    static AgentResponse allowOrBlockMalformed(AgentEvent event) {
        if (event instanceof AgentEvent.Malformed) {
            return new AgentResponse(event.correlationId(), new Decision.Block(400, "malformed", null), List.of(),
                    List.of(), Map.of(), null, false, null, null, null);
        }
        return AgentResponse.allow(event.correlationId());
    }

    static AgentResponse fallback(AgentEvent event) {
        return new AgentResponse(event.correlationId(), new Decision.Block(503, "fallback", null), List.of(),
                List.of(), Map.of(), null, false, null, null, null);
    }

    private ProxyListener start(EventHandler handler) throws IOException {
        return start(new ProxyConnection.Settings(CAPS, handler, ProxyConnectionTest::fallback));
    }

    private ProxyListener start(ProxyConnection.Settings settings) throws IOException {
        listener = ProxyListener.start(dir.resolve("agent.sock"), settings);
        return listener;
    }

    private FakeProxy connect() throws IOException {
        FakeProxy proxy = FakeProxy.connect(listener.socketPath());
        proxies.add(proxy);
        return proxy;
    }

    private FakeProxy connectAndHandshake() throws IOException {
        FakeProxy proxy = connect();
        assertTrue(proxy.handshake().get("success").booleanValue());
        return proxy;
    }

    private static JsonNode await(CompletableFuture<JsonNode> f) throws Exception {
        return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- handshake --------------------------------------------------------------------------------

    @Test
    void handshakeResponseHasAllRequiredMembers() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        FakeProxy proxy = connect();

        JsonNode r = proxy.handshake();

        assertTrue(r.get("protocol_version").isIntegralNumber());
        assertEquals(2, r.get("protocol_version").intValue());
        assertTrue(r.get("success").booleanValue());
        assertTrue(r.get("error").isNull());
        assertEquals("json", r.get("encoding").textValue());
        JsonNode caps = r.get("capabilities");
        assertEquals("lua-agent-test", caps.get("agent_id").textValue());
        assertEquals("Lua agent (test)", caps.get("name").textValue());
        assertEquals("0.1.0", caps.get("version").textValue());
        assertEquals("[1,2,3,4]", caps.get("supported_events").toString());
        for (String f : List.of("streaming_body", "websocket", "guardrails", "config_push", "metrics_export",
                "cancellation", "flow_control", "health_reporting")) {
            assertTrue(caps.get("features").get(f).isBoolean(), f);
        }
        assertEquals(100, caps.get("features").get("concurrent_requests").intValue());
        for (String l : List.of("max_body_size", "max_concurrency", "preferred_chunk_size")) {
            assertTrue(caps.get("limits").get(l).isIntegralNumber(), l);
        }
        // the connection is usable afterwards
        assertEquals("h1", StrictJson.checkAgentResponse(await(proxy.request(FakeProxy.requestHeaders("h1")))));
        assertEquals(List.of(), proxy.violations());
    }

    @Test
    void refusesAProxyWithoutVersion2AndCloses() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        FakeProxy proxy = connect();

        JsonNode r = proxy.handshake("{\"supported_versions\":[1,3],\"proxy_id\":\"zentinel-proxy\","
                + "\"proxy_version\":\"9.0.0\",\"config\":null,\"supported_encodings\":[\"json\"]}");

        assertFalse(r.get("success").booleanValue());
        assertEquals("agent speaks protocol version 2 only; proxy offered [1, 3]", r.get("error").textValue());
        assertEquals(9, r.get("capabilities").get("features").size(), "capabilities stay complete");
        proxy.closedByAgent().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(1, listener.stats().snapshot().handshakesRefused());
    }

    @Test
    void refusesAMalformedHandshakeWithTheReason() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        FakeProxy proxy = connect();

        JsonNode r = proxy.handshake("{\"proxy_id\":\"zentinel-proxy\"");

        assertFalse(r.get("success").booleanValue());
        assertTrue(r.get("error").textValue().startsWith("malformed HandshakeRequest: invalid JSON: "),
                r.get("error").textValue());
        proxy.closedByAgent().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void closesWithoutAnswerWhenTheFirstFrameIsNotAHandshake() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        FakeProxy proxy = connect();
        proxy.startReader();

        proxy.send(ProxyCodec.REQUEST_HEADERS, FakeProxy.requestHeaders("early"));

        proxy.closedByAgent().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(0, proxy.responseCount("early"));
        assertNull(proxy.nextOtherFrame(Duration.ZERO));
    }

    @Test
    void closesAConnectionThatNeverSendsItsHandshake() throws Exception {
        start(new ProxyConnection.Settings(CAPS, ProxyConnectionTest::allowOrBlockMalformed, ProxyConnectionTest::fallback)
                .withHandshakeTimeout(Duration.ofMillis(200)));
        FakeProxy silent = connect();
        silent.startReader();

        silent.closedByAgent().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        assertEquals(1, listener.stats().snapshot().protocolErrors());
        assertNull(silent.nextOtherFrame(Duration.ZERO), "nothing was sent to it");
    }

    @Test
    void theHandshakeTimeoutDoesNotApplyToAnIdleConnectionAfterwards() throws Exception {
        start(new ProxyConnection.Settings(CAPS, ProxyConnectionTest::allowOrBlockMalformed, ProxyConnectionTest::fallback)
                .withHandshakeTimeout(Duration.ofMillis(100)));
        FakeProxy proxy = connectAndHandshake();

        Thread.sleep(400);

        assertFalse(proxy.closedByAgent().isDone());
        assertEquals("idle", StrictJson.checkAgentResponse(await(proxy.request(FakeProxy.requestHeaders("idle")))));
    }

    // ---- events -----------------------------------------------------------------------------------

    @RepeatedTest(3)
    void answersEveryPipelinedRequestExactlyOnceOutOfOrderOnFourConnections() throws Exception {
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        Set<String> handlerThreads = ConcurrentHashMap.newKeySet();
        start(event -> {
            int now = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            handlerThreads.add(Thread.currentThread().getName());
            try {
                Thread.sleep(ThreadLocalRandom.current().nextInt(0, 15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                concurrent.decrementAndGet();
            }
            return AgentResponse.allow(event.correlationId());
        });
        int connections = 4;
        int perConnection = 200;
        List<FakeProxy> fakes = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            fakes.add(connectAndHandshake());
        }

        List<List<CompletableFuture<JsonNode>>> futures = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            futures.add(new ArrayList<>());
        }
        for (int i = 0; i < perConnection; i++) { // interleave the connections, all pipelined
            for (int c = 0; c < connections; c++) {
                futures.get(c).add(fakes.get(c).request(FakeProxy.requestHeaders("c" + c + "-r" + i)));
            }
        }

        boolean someOutOfOrder = false;
        for (int c = 0; c < connections; c++) {
            FakeProxy proxy = fakes.get(c);
            for (int i = 0; i < perConnection; i++) {
                String id = "c" + c + "-r" + i;
                assertEquals(id, StrictJson.checkAgentResponse(await(futures.get(c).get(i))));
            }
            List<String> order = proxy.arrivalOrder();
            assertEquals(perConnection, order.size());
            assertEquals(perConnection, new HashSet<>(order).size(), "each id answered exactly once");
            for (int i = 0; i < perConnection; i++) {
                assertEquals(1, proxy.responseCount("c" + c + "-r" + i));
            }
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < perConnection; i++) {
                sent.add("c" + c + "-r" + i);
            }
            someOutOfOrder |= !order.equals(sent);
            assertEquals(List.of(), proxy.unmatchedResponses());
            assertEquals(List.of(), proxy.violations());
        }
        assertTrue(someOutOfOrder, "random handler delays must reorder some answers");
        assertTrue(maxConcurrent.get() > 1, "events are handled concurrently (max " + maxConcurrent.get() + ")");
        assertTrue(handlerThreads.stream().allMatch(n -> n.matches("proxy-conn-\\d+-event-\\d+")), handlerThreads.toString());
        // the writer counts a response just after the bytes left, possibly after the proxy read them
        waitFor(() -> listener.stats().snapshot().inFlight() == 0);
        ProxyStats.Snapshot stats = listener.stats().snapshot();
        assertEquals(connections * perConnection, stats.eventsByType().get("RequestHeaders"));
        assertEquals(connections * perConnection, stats.responses());
        assertEquals(0, stats.inFlight());
        assertEquals(connections, stats.connectionsOpen());
    }

    @Test
    void answersEveryEventTypeIncludingReservedOnes() throws Exception {
        List<AgentEvent> seen = new CopyOnWriteArrayList<>();
        start(event -> {
            seen.add(event);
            return AgentResponse.allow(event.correlationId());
        });
        FakeProxy proxy = connectAndHandshake();

        List<CompletableFuture<JsonNode>> answers = List.of(
                proxy.request(ProxyCodec.REQUEST_BODY_CHUNK, FakeProxy.requestBodyChunk("t11", "hi".getBytes(StandardCharsets.UTF_8), true)),
                proxy.request(ProxyCodec.RESPONSE_HEADERS, FakeProxy.responseHeaders("t12", 201)),
                proxy.request(ProxyCodec.RESPONSE_BODY_CHUNK, "{\"bytes_sent\":2,\"chunk_index\":0,\"correlation_id\":\"t13\","
                        + "\"data\":\"aGk=\",\"is_last\":true,\"total_size\":2}"),
                proxy.request(ProxyCodec.REQUEST_COMPLETE, "{\"correlation_id\":\"t14\",\"duration_ms\":1,\"error\":null}"),
                proxy.request(ProxyCodec.WEBSOCKET_FRAME, "{\"correlation_id\":\"t15\",\"data\":\"\",\"opcode\":\"text\"}"),
                proxy.request(ProxyCodec.GUARDRAIL_INSPECT, "{\"categories\":[],\"content\":\"x\",\"correlation_id\":\"t16\","
                        + "\"inspection_type\":\"pii_detection\",\"metadata\":{}}"),
                proxy.request(ProxyCodec.CONFIGURE, "{\"config\":{},\"config_version\":null,\"correlation_id\":\"t17\"}"));

        for (int i = 0; i < answers.size(); i++) {
            assertEquals("t1" + (i + 1), StrictJson.checkAgentResponse(await(answers.get(i))));
        }
        assertEquals(7, seen.size());
        assertTrue(seen.stream().anyMatch(e -> e instanceof AgentEvent.RequestBodyChunk b
                && new String(b.data(), StandardCharsets.UTF_8).equals("hi")));
        assertTrue(seen.stream().anyMatch(e -> e instanceof AgentEvent.ResponseHeaders h && h.status() == 201));
        assertTrue(seen.contains(new AgentEvent.Unhandled("t16", ProxyCodec.GUARDRAIL_INSPECT)));
        Map<String, Long> byType = listener.stats().snapshot().eventsByType();
        for (String type : List.of("RequestBodyChunk", "ResponseHeaders", "ResponseBodyChunk", "RequestComplete",
                "WebSocketFrame", "GuardrailInspect", "Configure")) {
            assertEquals(1L, byType.get(type), type);
        }
    }

    @Test
    void answersMalformedJsonWithItsId() throws Exception {
        List<AgentEvent> seen = new CopyOnWriteArrayList<>();
        start(event -> {
            seen.add(event);
            return allowOrBlockMalformed(event);
        });
        FakeProxy proxy = connectAndHandshake();
        CompletableFuture<JsonNode> broken = proxy.expectResponse("broken-1");
        CompletableFuture<JsonNode> noId = proxy.expectResponse("");

        proxy.send(ProxyCodec.REQUEST_HEADERS, "{\"correlation_id\":\"broken-1\",\"headers\":{\"a\":[");
        proxy.send(ProxyCodec.RESPONSE_HEADERS, "not json at all");

        JsonNode r = await(broken);
        assertEquals(400, r.get("decision").get("block").get("status").intValue());
        assertEquals("", StrictJson.checkAgentResponse(await(noId)));
        assertInstanceOf(AgentEvent.Malformed.class, seen.get(0));
        assertEquals(2, listener.stats().snapshot().malformed());
        // the connection is still fine
        assertEquals("ok", StrictJson.checkAgentResponse(await(proxy.request(FakeProxy.requestHeaders("ok")))));
    }

    @Test
    void handlerFailuresAreAnsweredByTheFallback() throws Exception {
        start(event -> switch (event.correlationId()) {
            case "throws" -> throw new IllegalStateException("boom");
            case "null" -> null;
            case "error" -> throw new AssertionError("an Error from the handler");
            case "bad-encoding" -> new AgentResponse("bad-encoding", Decision.ALLOW, List.of(), List.of(), Map.of(),
                    null, false, null, null, "close");
            default -> AgentResponse.allow(event.correlationId());
        });
        FakeProxy proxy = connectAndHandshake();

        for (String id : List.of("throws", "null", "error", "bad-encoding")) {
            JsonNode r = await(proxy.request(FakeProxy.requestHeaders(id)));
            assertEquals(id, StrictJson.checkAgentResponse(r));
            assertEquals("fallback", r.get("decision").get("block").get("body").textValue(), id);
        }
        assertEquals(4, listener.stats().snapshot().fallbacks());
        assertEquals(List.of(), proxy.violations());
    }

    /** Answers through {@link EventHandler#handleAsync} only; {@link #handle} must never run. */
    private static final class AsyncHandler implements EventHandler {
        final Map<String, CompletableFuture<AgentResponse>> pending = new java.util.concurrent.ConcurrentHashMap<>();
        final CountDownLatch received = new CountDownLatch(4);

        @Override
        public AgentResponse handle(AgentEvent event) {
            throw new AssertionError("the blocking path ran for " + event.correlationId());
        }

        @Override
        public CompletableFuture<AgentResponse> handleAsync(AgentEvent event) {
            String id = event.correlationId();
            if (id.equals("throws-at-once")) {
                throw new IllegalStateException("boom");
            }
            CompletableFuture<AgentResponse> answer = new CompletableFuture<>();
            pending.put(id, answer);
            received.countDown();
            return answer;
        }
    }

    @Test
    void asynchronousAnswersGoOutWhenTheyCompleteOnAnyThreadAndFailuresGetTheFallback() throws Exception {
        AsyncHandler handler = new AsyncHandler();
        start(handler);
        FakeProxy proxy = connectAndHandshake();

        Map<String, CompletableFuture<JsonNode>> answers = new LinkedHashMap<>();
        for (String id : List.of("slow", "fast", "fails", "null", "throws-at-once")) {
            answers.put(id, proxy.request(FakeProxy.requestHeaders(id)));
        }
        assertTrue(handler.received.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        assertEquals("fallback", await(answers.get("throws-at-once")).get("decision").get("block").get("body").textValue());
        Thread other = new Thread(() -> {
            handler.pending.get("fast").complete(AgentResponse.allow("fast"));
            handler.pending.get("fails").completeExceptionally(new IllegalStateException("worker gone"));
            handler.pending.get("null").complete(null);
        });
        other.start();
        other.join();

        assertTrue(await(answers.get("fast")).get("decision").isTextual(), "allow, before the slow one");
        assertFalse(answers.get("slow").isDone());
        assertEquals("fallback", await(answers.get("fails")).get("decision").get("block").get("body").textValue());
        assertEquals("fallback", await(answers.get("null")).get("decision").get("block").get("body").textValue());
        handler.pending.get("slow").complete(AgentResponse.allow("slow"));
        assertEquals("slow", StrictJson.checkAgentResponse(await(answers.get("slow"))));
        assertEquals(3, listener.stats().snapshot().fallbacks());
        assertEquals(List.of(), proxy.violations());
    }

    @Test
    void aFailingFallbackStillYieldsAnAnswer() throws Exception {
        start(new ProxyConnection.Settings(CAPS, e -> {
            throw new IllegalStateException("handler down");
        }, e -> {
            throw new IllegalStateException("fallback down");
        }));
        FakeProxy proxy = connectAndHandshake();

        JsonNode r = await(proxy.request(FakeProxy.requestHeaders("double-fault")));

        assertEquals("double-fault", StrictJson.checkAgentResponse(r));
        assertEquals(503, r.get("decision").get("block").get("status").intValue());
    }

    @Test
    void theEventsIdWinsOverAWrongIdFromTheHandler() throws Exception {
        start(event -> AgentResponse.allow("something-else"));
        FakeProxy proxy = connectAndHandshake();

        assertEquals("mine", StrictJson.checkAgentResponse(await(proxy.request(FakeProxy.requestHeaders("mine")))));
        assertEquals(List.of(), proxy.unmatchedResponses());
    }

    // ---- control frames ---------------------------------------------------------------------------

    @Test
    void answersPingWithPongEchoingThePayload() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        FakeProxy proxy = connectAndHandshake();

        proxy.send(ProxyCodec.PING, GoldenFrames.PING.payload());
        FakeProxy.Frame pong = proxy.nextOtherFrame(WAIT);

        assertNotNull(pong);
        assertEquals(ProxyCodec.PONG, pong.type());
        assertArrayEquals(GoldenFrames.PONG.payload(), pong.payload());
        proxy.send(ProxyCodec.PING, new byte[0]);
        FakeProxy.Frame emptyPong = proxy.nextOtherFrame(WAIT);
        assertNotNull(emptyPong);
        assertEquals(0, emptyPong.payload().length);
        assertEquals(2, listener.stats().snapshot().pings());
    }

    @Test
    void dropsPingsWhileTooManyPongsWaitForAPeerThatDoesNotRead() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        try (AFUNIXSocket raw = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(listener.socketPath()))) {
            FrameWriter out = new FrameWriter(new BufferedOutputStream(raw.getOutputStream()), FrameLimits.PROXY_V2);
            FrameReader in = new FrameReader(new BufferedInputStream(raw.getInputStream()), FrameLimits.PROXY_V2);
            out.write((byte) ProxyCodec.HANDSHAKE_REQUEST, GoldenFrames.HANDSHAKE_REQUEST.payload());
            assertEquals(ProxyCodec.HANDSHAKE_RESPONSE, in.read()[0]);
            byte[] bigPing = new byte[64 * 1024];
            int pings = 200; // 12.5 MiB of pongs would be due; the socket buffers hold a few
            for (int i = 0; i < pings; i++) {
                out.write((byte) ProxyCodec.PING, bigPing);
            }
            waitFor(() -> listener.stats().snapshot().pings() + listener.stats().snapshot().ignoredFrames() == pings);

            ProxyStats.Snapshot stats = listener.stats().snapshot();
            assertTrue(stats.ignoredFrames() > 0, "some pings were dropped");
            assertTrue(stats.pings() < 40, "only a bounded number of pongs was kept: " + stats.pings());
            out.write((byte) ProxyCodec.REQUEST_HEADERS,
                    FakeProxy.requestHeaders("after-pings").getBytes(StandardCharsets.UTF_8));
            int pongs = 0;
            byte[] frame;
            while ((frame = in.read())[0] == ProxyCodec.PONG) {
                assertEquals(bigPing.length + 1, frame.length);
                pongs++;
            }
            assertEquals(stats.pings(), pongs, "every pong that was kept arrives, then the answer");
            assertEquals(ProxyCodec.AGENT_RESPONSE, frame[0]);
        }
    }

    @Test
    void cancelGetsNoReplyAndReachesTheListener() throws Exception {
        List<String> cancelled = new CopyOnWriteArrayList<>();
        start(new ProxyConnection.Settings(CAPS, ProxyConnectionTest::allowOrBlockMalformed, ProxyConnectionTest::fallback)
                .withCancelListener(cancelled::add));
        FakeProxy proxy = connectAndHandshake();
        CompletableFuture<JsonNode> wrongAnswer = proxy.expectResponse("Jx7Qm2Rp4Kd");

        proxy.send(ProxyCodec.CANCEL, GoldenFrames.CANCEL.payload());
        proxy.send(ProxyCodec.PING, FakeProxy.ping(1, 2));

        FakeProxy.Frame next = proxy.nextOtherFrame(WAIT);
        assertNotNull(next);
        assertEquals(ProxyCodec.PONG, next.type(), "the frame after the cancel is the pong");
        assertEquals("c", StrictJson.checkAgentResponse(await(proxy.request(FakeProxy.requestHeaders("c")))));
        assertFalse(wrongAnswer.isDone(), "no response for the cancelled id");
        assertEquals(0, proxy.responseCount("Jx7Qm2Rp4Kd"));
        assertEquals(List.of("Jx7Qm2Rp4Kd"), cancelled);
        assertEquals(1, listener.stats().snapshot().cancels());
    }

    @Test
    void ignoresValidFramesTheAgentDoesNotExpect() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        FakeProxy proxy = connectAndHandshake();

        for (int type : new int[] {0x01, 0x02, 0x20, 0x30, 0x31, 0x32, 0x33, 0x42}) {
            proxy.send(type, "{}");
        }
        proxy.send(ProxyCodec.PING, FakeProxy.ping(0, 0));

        FakeProxy.Frame next = proxy.nextOtherFrame(WAIT);
        assertNotNull(next);
        assertEquals(ProxyCodec.PONG, next.type());
        assertFalse(proxy.closedByAgent().isDone());
        assertEquals(8, listener.stats().snapshot().ignoredFrames());
    }

    // ---- framing errors ---------------------------------------------------------------------------

    @Test
    void unknownTypeByteClosesTheConnection() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        FakeProxy proxy = connectAndHandshake();

        proxy.send(0x21, "{}");

        proxy.closedByAgent().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(1, listener.stats().snapshot().protocolErrors());
    }

    @Test
    void oversizeLengthClosesTheConnection() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        FakeProxy proxy = connectAndHandshake();

        proxy.sendRaw(new byte[] {0x01, 0x00, 0x00, 0x01, 0x10}); // 16 MiB + 1

        proxy.closedByAgent().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(1, listener.stats().snapshot().protocolErrors());
    }

    @Test
    void zeroLengthClosesTheConnection() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        FakeProxy proxy = connectAndHandshake();

        proxy.sendRaw(new byte[] {0, 0, 0, 0});

        proxy.closedByAgent().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(1, listener.stats().snapshot().protocolErrors());
    }

    @Test
    void acceptsAFrameOfExactlyTheMaximumLength() throws Exception {
        start(ProxyConnectionTest::allowOrBlockMalformed);
        FakeProxy proxy = connectAndHandshake();
        String prefix = "{\"correlation_id\":\"big\",\"method\":\"GET\",\"uri\":\"/\",\"pad\":\"";
        int padding = 16 * 1024 * 1024 - 1 - prefix.length() - 2;
        String json = prefix + "x".repeat(padding) + "\"}";
        assertEquals(16 * 1024 * 1024 - 1, json.length());

        assertEquals("big", StrictJson.checkAgentResponse(await(proxy.request(json))));
    }

    // ---- end of file, back-pressure ---------------------------------------------------------------

    @Test
    void answersInFlightEventsAfterTheProxyClosesItsSideThenCloses() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        start(event -> {
            await(release);
            return AgentResponse.allow(event.correlationId());
        });
        FakeProxy proxy = connectAndHandshake();
        List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            answers.add(proxy.request(FakeProxy.requestHeaders("eof-" + i)));
        }
        waitFor(() -> listener.inFlight() == 5);

        proxy.shutdownOutput();
        Thread.sleep(100);
        assertFalse(proxy.closedByAgent().isDone(), "stays open while events are in flight");
        release.countDown();

        for (int i = 0; i < 5; i++) {
            assertEquals("eof-" + i, StrictJson.checkAgentResponse(await(answers.get(i))));
        }
        proxy.closedByAgent().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void stopsReadingWhileTheInFlightLimitIsReached() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        start(new ProxyConnection.Settings(CAPS, event -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            await(release);
            concurrent.decrementAndGet();
            return AgentResponse.allow(event.correlationId());
        }, ProxyConnectionTest::fallback).withMaxInFlightEvents(2));
        FakeProxy proxy = connectAndHandshake();
        List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            answers.add(proxy.request(FakeProxy.requestHeaders("bp-" + i)));
        }
        waitFor(() -> concurrent.get() == 2);
        Thread.sleep(100);

        assertEquals(2, listener.inFlight());
        assertEquals(2, listener.stats().snapshot().eventsByType().get("RequestHeaders"), "the rest is not read yet");
        release.countDown();
        for (int i = 0; i < 6; i++) {
            assertEquals("bp-" + i, StrictJson.checkAgentResponse(await(answers.get(i))));
        }
        assertEquals(2, maxConcurrent.get());
    }

    @Test
    void aReaderSendsWhatItHeldBackBeforeItWaitsForAFreeSlot() throws Exception {
        List<Boolean> held = new CopyOnWriteArrayList<>();
        start(new ProxyConnection.Settings(CAPS, new EventHandler() {
            @Override
            public AgentResponse handle(AgentEvent event) {
                throw new AssertionError("answered asynchronously");
            }

            @Override
            public CompletableFuture<AgentResponse> handleAsync(AgentEvent event) {
                // like a worker call: the answer comes only once the held flush has run
                CompletableFuture<AgentResponse> answer = new CompletableFuture<>();
                Runnable send = () -> answer.complete(AgentResponse.allow(event.correlationId()));
                boolean wasHeld = FlushBatch.hold(send);
                held.add(wasHeld);
                if (!wasHeld) {
                    send.run();
                }
                return answer;
            }
        }, ProxyConnectionTest::fallback).withMaxInFlightEvents(1));
        FakeProxy proxy = connectAndHandshake();
        ByteArrayOutputStream burst = new ByteArrayOutputStream();
        FrameWriter frames = new FrameWriter(burst, FrameLimits.PROXY_V2);
        List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            answers.add(proxy.expectResponse("held-" + i));
            frames.write((byte) ProxyCodec.REQUEST_HEADERS,
                    FakeProxy.requestHeaders("held-" + i).getBytes(StandardCharsets.UTF_8));
        }

        proxy.sendRaw(burst.toByteArray()); // three events in one write, one slot

        for (int i = 0; i < 3; i++) {
            assertEquals("held-" + i, StrictJson.checkAgentResponse(await(answers.get(i))));
        }
        assertEquals(List.of(true, true, true), held, "the reader thread held every flush back");
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void waitFor(BooleanSupplier condition) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("condition not met within " + WAIT);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void settingsRejectNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new ProxyConnection.Settings(CAPS,
                ProxyConnectionTest::allowOrBlockMalformed, ProxyConnectionTest::fallback).withMaxInFlightEvents(0));
        assertThrows(NullPointerException.class, () -> new ProxyConnection.Settings(CAPS, null, ProxyConnectionTest::fallback));
    }
}
