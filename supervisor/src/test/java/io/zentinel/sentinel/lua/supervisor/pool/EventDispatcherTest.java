package io.zentinel.sentinel.lua.supervisor.pool;

import static io.zentinel.sentinel.lua.supervisor.pool.FakeWorkers.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.BodyChunk;
import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.LimitHit;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptFailure;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.pool.DispatchCounters.DecisionKind;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentEvent;
import io.zentinel.sentinel.lua.supervisor.proxy.EventHeaders;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse;
import io.zentinel.sentinel.lua.supervisor.proxy.Decision;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventDispatcherTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final ScriptSet SCRIPTS = ScriptSet.of(List.of(
            ScriptSource.newBuilder().setFileName("a.lua").setSource("-- a").build()));
    private static final WorkerPool.Tuning TUNING = new WorkerPool.Tuning(Duration.ZERO, Duration.ofMillis(20),
            Duration.ofMillis(80), Duration.ofMillis(300), Duration.ofMillis(20));

    /** Scripts that hook every phase: the dispatcher keeps all transaction state. */
    private static final FakeWorker.Behaviour EVERY_PHASE = FakeWorker.Behaviour.ready().withHooks("all.lua",
            Hook.REQUEST_HEADERS, Hook.REQUEST_BODY, Hook.RESPONSE_HEADERS, Hook.RESPONSE_BODY);

    private final AtomicLong clock = new AtomicLong();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private FakeWorkers workers;
    private TransactionStore store;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private EventDispatcher dispatcher(TestConfig testConfig, FakeWorker.Behaviour behaviour) throws Exception {
        AgentConfig config = testConfig.build();
        workers = new FakeWorkers(behaviour);
        WorkerPool pool = new WorkerPool(config, workers, TUNING, new Random(1));
        closeables.add(pool);
        pool.start(SCRIPTS);
        store = new TransactionStore(config.scripts().maxBodyBytes(), new BodyBufferCap(1 << 20, "1 MiB"),
                Duration.ofMinutes(5), 100, clock::get);
        EventDispatcher dispatcher = new EventDispatcher(config, pool, new DecisionPolicy(config.safety()), store);
        closeables.add(dispatcher);
        return dispatcher;
    }

    private EventDispatcher dispatcher(Function<HookCall, HookResult> responder) throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        return dispatcher(config, EVERY_PHASE.answering(responder));
    }

    private List<HookCall> calls() {
        return workers.workers.get(0).calls;
    }

    private static HookResult allow() {
        return HookResult.newBuilder().setVerdict(Verdict.newBuilder().setAction(Action.ALLOW)).build();
    }

    private static AgentEvent.RequestHeaders requestHeaders(String id) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("host", List.of("example.com"));
        headers.put("x-correlation-id", List.of(id));
        return new AgentEvent.RequestHeaders(id, "GET", "/api/users?id=42", EventHeaders.of(headers),
                new AgentEvent.RequestMetadata("127.0.0.1:51514", 0, "HTTP/1.1", "r-1", "api", null,
                        "2026-07-01T09:30:00Z", null, null, null, null));
    }

    private static AgentEvent.ResponseHeaders responseHeaders(String id) {
        return new AgentEvent.ResponseHeaders(id, 200, EventHeaders.of(Map.of("content-type", List.of("application/json"))));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void requestHeadersAreCalledWithTheRequestAndTheVerdictIsAnswered() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> HookResult.newBuilder().setVerdict(Verdict.newBuilder()
                .setAction(Action.BLOCK).setBody("no").addTags("waf")).build());

        AgentResponse response = dispatcher.handle(requestHeaders("id-1"));

        assertEquals(new Decision.Block(403, "no", null), response.decision());
        assertEquals("id-1", response.correlationId());
        HookCall call = calls().get(0);
        assertEquals(Phase.PHASE_REQUEST_HEADERS, call.getPhase());
        assertEquals("id-1", call.getCorrelationId());
        assertEquals("GET", call.getRequest().getMethod());
        assertEquals("/api/users?id=42", call.getRequest().getUri());
        assertEquals("127.0.0.1", call.getRequest().getClientIp());
        assertEquals(51514, call.getRequest().getClientPort());
        assertEquals(List.of(Header.newBuilder().setName("host").addValues("example.com").build(),
                Header.newBuilder().setName("x-correlation-id").addValues("id-1").build()), HeaderList.parseFrom(call.getRequest().getHeaderList()).getHeadersList());
        assertEquals(ByteString.EMPTY, call.getCtx());
        assertEquals(1, dispatcher.counters().decisions(DecisionKind.BLOCK));
    }

    @Test
    void responsePhasesCarryTheRequestRememberedUnderTheCorrelationId() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> allow());
        dispatcher.handle(requestHeaders("id-1"));
        dispatcher.handle(requestHeaders("id-2"));

        dispatcher.handle(responseHeaders("id-1"));
        dispatcher.handle(new AgentEvent.ResponseBodyChunk("id-1", bytes("{}"), 0, true, 2, 2L));

        HookCall request = calls().get(0);
        HookCall response = calls().get(2);
        HookCall body = calls().get(3);
        assertEquals(Phase.PHASE_RESPONSE_HEADERS, response.getPhase());
        assertEquals(request.getRequest(), response.getRequest());
        assertEquals(200, response.getResponse().getStatus());
        assertEquals("content-type", HeaderList.parseFrom(response.getResponse().getHeaderList()).getHeaders(0).getName());
        assertEquals(Phase.PHASE_RESPONSE_BODY, body.getPhase());
        assertEquals(request.getRequest(), body.getRequest());
        assertEquals(response.getResponse(), body.getResponse());
        assertEquals(1, store.size(), "the transaction ends with its last response chunk");
    }

    @Test
    void theCtxAWorkerReturnsIsPassedToLaterPhases() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> switch (c.getPhase()) {
            case PHASE_REQUEST_HEADERS -> allow().toBuilder().setCtx(ByteString.copyFromUtf8("{\"user\":\"alice\"}"))
                    .setCtxChanged(true).build();
            case PHASE_REQUEST_BODY -> allow().toBuilder().setCtx(ByteString.copyFromUtf8("{\"ignored\":1}")).build();
            default -> allow();
        });

        dispatcher.handle(requestHeaders("id-1"));
        dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("x"), 0, true, 1, 1L));
        dispatcher.handle(responseHeaders("id-1"));

        assertEquals("{\"user\":\"alice\"}", calls().get(1).getCtx().toStringUtf8());
        assertEquals("{\"user\":\"alice\"}", calls().get(2).getCtx().toStringUtf8(), "unchanged ctx is not replaced");
    }

    @Test
    void aCtxOverItsLimitIsACtxLimitFailureAndIsNotKept() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        config.maxCtxBytes = 8;
        EventDispatcher dispatcher = dispatcher(config, EVERY_PHASE.answering(c ->
                allow().toBuilder().setCtx(ByteString.copyFromUtf8("{\"much\":\"too long\"}")).setCtxChanged(true).build()));

        AgentResponse response = dispatcher.handle(requestHeaders("id-1"));
        dispatcher.handle(responseHeaders("id-1"));

        assertEquals(List.of("lua-agent:fail-open", "lua-agent:ctx-limit"), response.audit().tags());
        assertEquals(ByteString.EMPTY, calls().get(1).getCtx());
        assertEquals(2, dispatcher.counters().failures(FailureCause.CTX_LIMIT));
    }

    @Test
    void bodyChunksAreBufferedAndTheLastOneCarriesTheWholeBody() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> allow());
        dispatcher.handle(requestHeaders("id-1"));

        dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("ab"), 0, false, 2, null));
        dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("cd"), 1, true, 4, 4L));

        HookCall first = calls().get(1);
        HookCall last = calls().get(2);
        assertEquals(Phase.PHASE_REQUEST_BODY, first.getPhase());
        assertEquals("ab", first.getChunk().getData().toStringUtf8());
        assertFalse(first.getChunk().getComplete());
        assertEquals(ByteString.EMPTY, first.getChunk().getBody());
        assertEquals("cd", last.getChunk().getData().toStringUtf8());
        assertEquals(1, last.getChunk().getChunkIndex());
        assertTrue(last.getChunk().getIsLast());
        assertTrue(last.getChunk().getComplete());
        assertEquals("abcd", last.getChunk().getBody().toStringUtf8());
        assertEquals("/api/users?id=42", last.getRequest().getUri());
        assertEquals(0, store.bufferedBytes());
    }

    @Test
    void aBodyOfOneChunkCrossesThePipeOnceAsTheChunksData() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> allow());
        dispatcher.handle(requestHeaders("id-1"));
        dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("whole"), 0, true, 5, 5L));
        dispatcher.handle(requestHeaders("id-2"));
        dispatcher.handle(new AgentEvent.RequestBodyChunk("id-2", bytes(""), 0, false, 0, null));
        dispatcher.handle(new AgentEvent.RequestBodyChunk("id-2", bytes("rest"), 1, true, 4, 4L));

        BodyChunk one = calls().get(1).getChunk();
        assertTrue(one.getComplete());
        assertEquals("whole", one.getData().toStringUtf8());
        assertEquals(ByteString.EMPTY, one.getBody(), "the whole body is the data (see BodyChunk)");
        BodyChunk afterEmpty = calls().get(4).getChunk();
        assertEquals("rest", afterEmpty.getData().toStringUtf8());
        assertEquals(ByteString.EMPTY, afterEmpty.getBody(), "an empty first chunk adds nothing to the body");
        assertEquals(0, store.bufferedBytes());
    }

    @Test
    void aBodyOverTheCapGetsTheBodyLimitDecisionWithoutAWorkerCall() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        config.maxBodyBytes = 4;
        config.failOpen = false;
        EventDispatcher dispatcher = dispatcher(config, EVERY_PHASE);
        dispatcher.handle(requestHeaders("id-1"));

        AgentResponse first = dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("abc"), 0, false, 3, null));
        AgentResponse over = dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("def"), 1, false, 6, null));
        AgentResponse rest = dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("g"), 2, true, 7, 7L));

        assertEquals(Decision.ALLOW, first.decision());
        assertEquals(new Decision.Block(500, "Lua agent failure", null), over.decision());
        assertEquals(List.of("lua-agent:fail-closed", "lua-agent:body-limit"), over.audit().tags());
        assertEquals(List.of("body-limit"), over.audit().reasonCodes());
        assertEquals(over, rest, "the rest of that body is refused the same way");
        assertEquals(2, calls().size(), "request headers and the first chunk only");
        assertEquals(2, dispatcher.counters().failures(FailureCause.BODY_LIMIT));
        assertEquals(0, store.bufferedBytes());
    }

    @Test
    void aBodyNoLoadedScriptHooksIsAllowedWhateverItsSize() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        config.maxBodyBytes = 4;
        config.failOpen = false;
        EventDispatcher dispatcher = dispatcher(config, FakeWorker.Behaviour.ready()
                .withHooks("headers.lua", Hook.REQUEST_HEADERS, Hook.RESPONSE_HEADERS));
        dispatcher.handle(requestHeaders("id-1"));

        AgentResponse first = dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("abc"), 0, false, 3, null));
        AgentResponse over = dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("def"), 1, true, 6, 6L));
        dispatcher.handle(responseHeaders("id-1"));
        AgentResponse response = dispatcher.handle(new AgentEvent.ResponseBodyChunk("id-1", bytes("0123456789"), 0,
                true, 10, 10L));

        assertEquals(AgentResponse.allow("id-1"), first);
        assertEquals(AgentResponse.allow("id-1"), over, "scripts.max-body-bytes bounds bodies handed to hooks only");
        assertEquals(AgentResponse.allow("id-1"), response);
        assertEquals(0, dispatcher.counters().failures(FailureCause.BODY_LIMIT));
        assertEquals(List.of(Phase.PHASE_REQUEST_HEADERS, Phase.PHASE_RESPONSE_HEADERS),
                calls().stream().map(HookCall::getPhase).toList(), "no worker call for a body no script reads");
        assertEquals(0, store.size());
        assertEquals(0, store.bufferedBytes());
    }

    @Test
    void eventsBeyondMaxConcurrentAreAnsweredAtOnceAsOverloaded() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        config.maxConcurrent = 1;
        config.maxExecutionTime = Duration.ofSeconds(5);
        EventDispatcher dispatcher = dispatcher(config, FakeWorker.Behaviour.ready().answering(c -> null));
        FakeWorker worker = workers.workers.get(0);

        CompletableFuture<AgentResponse> first = CompletableFuture.supplyAsync(() -> dispatcher.handle(requestHeaders("id-1")));
        await("first call in the worker", WAIT, () -> worker.pendingCalls() == 1);
        assertEquals(1, dispatcher.inFlight());
        long before = System.nanoTime();
        AgentResponse second = dispatcher.handle(requestHeaders("id-2"));

        assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(1), "answered without waiting");
        assertEquals(List.of("lua-agent:fail-open", "lua-agent:overloaded"), second.audit().tags());
        assertEquals("id-2", second.correlationId());
        worker.answer(allow());
        assertEquals(AgentResponse.allow("id-1"), first.get(5, TimeUnit.SECONDS));
        assertEquals(0, dispatcher.inFlight());
        assertEquals(1, dispatcher.counters().failures(FailureCause.OVERLOADED));
        assertEquals(1, dispatcher.counters().failures(DispatchCounters.NO_SCRIPT, FailureCause.OVERLOADED));
        assertEquals(1, worker.calls.size());
    }

    @Test
    void withEveryLuaVmBusyTheEventIsAnsweredAsOverloadedAfterTheAcquireTimeout() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        config.vmsPerWorker = 1;
        config.maxExecutionTime = Duration.ofMillis(50);
        EventDispatcher dispatcher = dispatcher(config, FakeWorker.Behaviour.ready().answering(c -> null));
        FakeWorker worker = workers.workers.get(0);
        CompletableFuture<AgentResponse> first = CompletableFuture.supplyAsync(() -> dispatcher.handle(requestHeaders("id-1")));
        await("first call in the worker", WAIT, () -> worker.pendingCalls() == 1);

        long before = System.nanoTime();
        AgentResponse second = dispatcher.handle(requestHeaders("id-2"));

        assertTrue(System.nanoTime() - before >= TimeUnit.MILLISECONDS.toNanos(50),
                "waited resource-limits.max-execution-time for a free VM");
        assertEquals(List.of("lua-agent:fail-open", "lua-agent:overloaded"), second.audit().tags());
        assertEquals(1, worker.calls.size(), "the busy worker got no second call to queue");
        assertEquals(1, worker.maxReserved());
        worker.answer(allow());
        assertEquals(AgentResponse.allow("id-1"), first.get(5, TimeUnit.SECONDS));
        assertEquals(1, dispatcher.counters().failures(FailureCause.OVERLOADED));
        assertEquals(0, dispatcher.counters().failures(FailureCause.NO_WORKER));
    }

    @Test
    void headerOnlyScriptsLeaveNoTransactionStateBehind() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        EventDispatcher dispatcher = dispatcher(config, FakeWorker.Behaviour.ready()
                .withHooks("headers.lua", Hook.REQUEST_HEADERS)
                .answering(c -> allow().toBuilder().setCtx(ByteString.copyFromUtf8("{\"n\":1}")).setCtxChanged(true)
                        .build()));

        for (int i = 0; i < 50; i++) {
            assertEquals(Decision.ALLOW, dispatcher.handle(requestHeaders("id-" + i)).decision());
        }

        assertEquals(50, calls().size());
        assertEquals(0, store.size(), "no later phase is hooked: neither request nor changed ctx is kept");
        assertEquals(0, store.evictions());
    }

    @Test
    void aLoadedResponseHookKeepsTheRequestUntilTheResponseHeaders() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        EventDispatcher dispatcher = dispatcher(config, FakeWorker.Behaviour.ready()
                .withHooks("headers.lua", Hook.REQUEST_HEADERS, Hook.RESPONSE_HEADERS));

        dispatcher.handle(requestHeaders("id-1"));
        assertEquals(1, store.size());
        assertEquals("/api/users?id=42", store.request("id-1").getUri());
        dispatcher.handle(responseHeaders("id-1"));

        assertEquals("/api/users?id=42", calls().get(1).getRequest().getUri());
        assertEquals(0, store.size(), "no response body hook: nothing after the response headers uses it");
    }

    @Test
    void aRequestBodyHookKeepsTheRequestUntilTheLastRequestChunk() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        EventDispatcher dispatcher = dispatcher(config, FakeWorker.Behaviour.ready()
                .withHooks("body.lua", Hook.REQUEST_BODY_CHUNK));

        dispatcher.handle(requestHeaders("id-1"));
        dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("ab"), 0, false, 2, null));
        assertEquals(1, store.size());
        dispatcher.handle(new AgentEvent.RequestBodyChunk("id-1", bytes("cd"), 1, true, 4, 4L));

        assertEquals("/api/users?id=42", calls().get(2).getRequest().getUri());
        assertEquals("abcd", calls().get(2).getChunk().getBody().toStringUtf8());
        assertEquals(0, store.size(), "no response phase is hooked");
    }

    @Test
    void theCtxIsKeptOnlyWhenTheWorkerChangedIt() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> "changed".equals(c.getCorrelationId())
                ? allow().toBuilder().setCtx(ByteString.copyFromUtf8("{\"a\":1}")).setCtxChanged(true).build()
                : allow().toBuilder().setCtx(ByteString.copyFromUtf8("{\"b\":2}")).build());

        dispatcher.handle(requestHeaders("unchanged"));
        dispatcher.handle(requestHeaders("changed"));

        assertEquals(ByteString.EMPTY, store.ctx("unchanged"));
        assertEquals("{\"a\":1}", store.ctx("changed").toStringUtf8());
    }

    @Test
    void aReloadThatLoadsALaterPhaseHookStartsKeepingTheRequest() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        EventDispatcher dispatcher = dispatcher(config, FakeWorker.Behaviour.ready()
                .withHooks("headers.lua", Hook.REQUEST_HEADERS));
        dispatcher.handle(requestHeaders("before"));
        assertEquals(0, store.size());
        workers.then(FakeWorker.Behaviour.ready().withHooks("headers.lua", Hook.REQUEST_HEADERS, Hook.RESPONSE_BODY));
        WorkerPool pool = (WorkerPool) closeables.get(0);
        assertTrue(pool.reload(SCRIPTS).accepted());

        dispatcher.handle(requestHeaders("after"));

        assertEquals(1, store.size());
        assertEquals("/api/users?id=42", store.request("after").getUri());
    }

    @Test
    void unhandledEventsAreAllowedWithoutAWorkerCall() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> allow());

        AgentResponse guardrail = dispatcher.handle(new AgentEvent.Unhandled("g-1", 0x16));
        AgentResponse websocket = dispatcher.handle(new AgentEvent.Unhandled("w-1", 0x15));

        assertEquals(AgentResponse.allow("g-1"), guardrail);
        assertEquals(Decision.ALLOW, websocket.decision());
        assertEquals("allow", websocket.websocketDecision());
        assertTrue(calls().isEmpty());
        assertEquals(2, dispatcher.counters().decisions(DecisionKind.ALLOW));
    }

    @Test
    void aMalformedEventGetsTheFailureModeDecision() throws Exception {
        TestConfig config = new TestConfig();
        config.failOpen = false;
        EventDispatcher dispatcher = dispatcher(config, FakeWorker.Behaviour.ready());

        AgentResponse response = dispatcher.handle(new AgentEvent.Malformed("m-1", 0x10, "headers is not an object"));

        assertEquals(new DecisionPolicy(false).failure("m-1", FailureCause.MALFORMED_EVENT), response);
        assertEquals(1, dispatcher.counters().failures(FailureCause.MALFORMED_EVENT));
        assertEquals(1, dispatcher.counters().decisions(DecisionKind.BLOCK));
    }

    @Test
    void withoutAReadyWorkerTheEventGetsNoWorkerAfterTheAcquireTimeout() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        config.maxExecutionTime = Duration.ofMillis(50);
        EventDispatcher dispatcher = dispatcher(config, FakeWorker.Behaviour.ready());
        workers.then(FakeWorker.Behaviour.holding());
        workers.workers.get(0).crash(70);
        workers.awaitWorker(2, WAIT);

        AgentResponse response = dispatcher.handle(requestHeaders("id-1"));

        assertEquals(List.of("lua-agent:fail-open", "lua-agent:no-worker"), response.audit().tags());
        assertEquals(1, dispatcher.counters().failures(FailureCause.NO_WORKER));
    }

    @Test
    void aWorkerCrashDuringTheCallGivesWorkerCrashed() throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        config.maxExecutionTime = Duration.ofSeconds(5);
        EventDispatcher dispatcher = dispatcher(config, FakeWorker.Behaviour.ready().answering(c -> null));
        FakeWorker worker = workers.workers.get(0);

        CompletableFuture<AgentResponse> response = CompletableFuture.supplyAsync(() -> dispatcher.handle(requestHeaders("id-1")));
        await("call in the worker", WAIT, () -> worker.pendingCalls() == 1);
        worker.crash(139);

        assertEquals(List.of("lua-agent:fail-open", "lua-agent:worker-crashed"), response.get(5, TimeUnit.SECONDS).audit().tags());
    }

    @Test
    void scriptFailuresAreCountedPerScriptAndPerCause() throws Exception {
        AtomicLong n = new AtomicLong();
        EventDispatcher dispatcher = dispatcher(c -> {
            long i = n.incrementAndGet();
            ScriptFailure.Builder failure = i <= 2
                    ? ScriptFailure.newBuilder().setKind(FailureKind.INSTRUCTION_LIMIT).setScript("loop.lua")
                            .setLimit(LimitHit.newBuilder().setKey("resource-limits.max-instructions")
                                    .setMaximum(1000).setMeasured(1001).setUnit("instructions"))
                            .setElapsedMicros(1500)
                    : i == 3 ? ScriptFailure.newBuilder().setKind(FailureKind.SCRIPT_ERROR).setScript("auth.lua")
                    : ScriptFailure.newBuilder().setKind(FailureKind.STRING_LIMIT).setScript("auth.lua");
            return HookResult.newBuilder().setFailure(failure.setMessage("failed")).build();
        });

        for (int i = 0; i < 4; i++) {
            dispatcher.handle(requestHeaders("id-" + i));
        }
        dispatcher.handle(new AgentEvent.Malformed("id-x", 0x02, "bad json"));

        DispatchCounters counters = dispatcher.counters();
        assertEquals(Map.of("(none)", 1L, "auth.lua", 2L, "loop.lua", 2L), counters.scriptFailures());
        assertEquals(Map.of("(none)", Map.of(FailureCause.MALFORMED_EVENT, 1L),
                "auth.lua", Map.of(FailureCause.SCRIPT_ERROR, 1L, FailureCause.STRING_LIMIT, 1L),
                "loop.lua", Map.of(FailureCause.INSTRUCTION_LIMIT, 2L)), counters.failuresByScript());
        assertEquals(2, counters.failures("loop.lua", FailureCause.INSTRUCTION_LIMIT));
        assertEquals(0, counters.failures("loop.lua", FailureCause.SCRIPT_ERROR));
        assertEquals(2, counters.failures(FailureCause.INSTRUCTION_LIMIT));
        assertEquals(1, counters.failures(FailureCause.SCRIPT_ERROR));
        assertEquals(5, counters.decisions(DecisionKind.ALLOW), "fail-open: every failure allowed");
    }

    @Test
    void theScriptNamesCountedSeparatelyAreBounded() {
        DispatchCounters counters = new DispatchCounters();
        for (int i = 0; i < DispatchCounters.MAX_SCRIPT_NAMES + 10; i++) {
            counters.failure(FailureCause.TABLE_LIMIT, "s" + i);
        }
        assertEquals(DispatchCounters.MAX_SCRIPT_NAMES + 1, counters.failuresByScript().size());
        assertEquals(10, counters.failures(DispatchCounters.OTHER_SCRIPTS, FailureCause.TABLE_LIMIT));
    }

    @Test
    void anExpiredTransactionNoLongerLendsItsRequestToTheResponsePhase() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> allow());
        dispatcher.handle(requestHeaders("id-1"));
        clock.addAndGet(Duration.ofMinutes(5).toNanos());
        store.sweep();

        dispatcher.handle(responseHeaders("id-1"));

        assertEquals(RequestInfo.getDefaultInstance(), calls().get(1).getRequest());
    }

    @Test
    void theAsynchronousPathAnswersAsTheBlockingOneDoes() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> HookResult.newBuilder().setVerdict(Verdict.newBuilder()
                .setAction(Action.BLOCK).setBody("no").addTags("waf")).build());

        AgentResponse blocking = dispatcher.handle(requestHeaders("id-1"));
        AgentResponse async = dispatcher.handleAsync(requestHeaders("id-1")).get(5, TimeUnit.SECONDS);

        assertEquals(blocking, async);
        assertEquals(calls().get(0), calls().get(1));
        assertEquals(2, dispatcher.counters().decisions(DecisionKind.BLOCK));
        assertEquals(0, dispatcher.inFlight(), "both permits were returned");
    }

    @Test
    void anEventWithoutAFreeVmIsSentByTheThreadThatFreesOneAndNoThreadWaits() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> null); // one worker, one VM, answered by hand
        FakeWorker worker = workers.workers.get(0);

        CompletableFuture<AgentResponse> first = dispatcher.handleAsync(requestHeaders("id-1"));
        CompletableFuture<AgentResponse> second = dispatcher.handleAsync(requestHeaders("id-2"));
        assertEquals(1, calls().size(), "the second event waits in the pool, not in the worker");
        assertEquals(2, dispatcher.inFlight());

        worker.answer(allow());
        assertEquals(AgentResponse.allow("id-1"), first.get(5, TimeUnit.SECONDS));
        assertEquals(2, calls().size(), "the second call went out when the first VM came back");
        assertEquals("id-2", calls().get(1).getCorrelationId());
        assertFalse(second.isDone());
        worker.answer(allow());

        assertEquals(AgentResponse.allow("id-2"), second.get(5, TimeUnit.SECONDS));
        assertEquals(0, dispatcher.inFlight());
    }

    @Test
    void theAsynchronousPathAnswersOverloadedAtOnceBeyondMaxConcurrentAndAWorkerDeathWithTheFailureMode()
            throws Exception {
        TestConfig config = new TestConfig();
        config.workers = 1;
        config.maxConcurrent = 1;
        EventDispatcher dispatcher = dispatcher(config, EVERY_PHASE.answering(c -> null));
        FakeWorker worker = workers.workers.get(0);

        CompletableFuture<AgentResponse> first = dispatcher.handleAsync(requestHeaders("id-1"));
        AgentResponse second = dispatcher.handleAsync(requestHeaders("id-2")).getNow(null);
        worker.kill("test");

        assertEquals(new DecisionPolicy(true).failure("id-2", FailureCause.OVERLOADED), second);
        AgentResponse died = first.get(5, TimeUnit.SECONDS);
        assertEquals(new DecisionPolicy(true).failure("id-1", FailureCause.WORKER_KILLED), died);
        assertEquals(0, dispatcher.inFlight());
    }

    @Test
    void anUnexpectedExceptionBecomesAnInternalErrorAnswer() throws Exception {
        EventDispatcher dispatcher = dispatcher(c -> {
            throw new IllegalStateException("bug");
        });

        AgentResponse response = dispatcher.handle(requestHeaders("id-1"));

        assertEquals(new DecisionPolicy(true).failure("id-1", FailureCause.INTERNAL_ERROR), response);
        assertEquals(0, dispatcher.inFlight(), "the permit was returned");
    }
}
