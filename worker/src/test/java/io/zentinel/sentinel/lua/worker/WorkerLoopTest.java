package io.zentinel.sentinel.lua.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.zentinel.sentinel.lua.protocol.WorkerExit;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.Heartbeat;
import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.protocol.v1.Shutdown;
import io.zentinel.sentinel.lua.protocol.v1.SupervisorMessage;
import io.zentinel.sentinel.lua.protocol.v1.VmRenewal;
import io.zentinel.sentinel.lua.protocol.v1.WorkerInit;
import io.zentinel.sentinel.lua.protocol.v1.WorkerMessage;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The protocol loop, in process: frames through in-memory pipes, the loop on its own thread. */
class WorkerLoopTest {
    private static final String AUTH = """
            -- name: auth
            -- hook: request_headers
            -- paths: /api/**
            -- priority: 10
            function on_request_headers(request)
                if not request:get_header("authorization") then
                    sentinel.set_decision("block", 401, "Unauthorized")
                end
            end
            """;
    private static final String HEADERS = """
            -- name: headers
            function on_response_headers(response)
                response:set_header("X-Frame-Options", "DENY")
            end
            function on_request_headers(request)
                request:add_header("X-Seen", "1")
            end
            """;
    /** Spends 0.4 s of CPU on a request for /slow. */
    private static final String SLOW = """
            -- name: slow
            function on_request_headers(request)
                if request.path == "/slow" then
                    local start = os.clock()
                    while os.clock() - start < 0.4 do end
                end
            end
            """;
    private static final String BROKEN = "-- name: broken\n-- priority: high\nfunction on_request_headers() end\n";

    private final BytePipe toWorker = new BytePipe(30);
    private final BytePipe fromWorker = new BytePipe(30);
    private final FrameWriter supervisor = new FrameWriter(toWorker.out(), WorkerLoop.PIPE_LIMITS);
    private final FrameReader replies = new FrameReader(fromWorker.in(), WorkerLoop.PIPE_LIMITS);
    private final List<String> exits = new CopyOnWriteArrayList<>();
    private CompletableFuture<WorkerExit> loop;

    /** Each write the worker's buffered output made, as the call ids of the results it carried. */
    private final List<List<Long>> resultWrites = new CopyOnWriteArrayList<>();

    private void start() {
        start(fromWorker.out());
    }

    /**
     * Starts the worker with a buffered output, as in production, over a stream that records the
     * results of each write.
     */
    private void startBuffered() {
        OutputStream pipe = fromWorker.out();
        OutputStream recorder = new OutputStream() {
            @Override
            public void write(int b) {
                throw new UnsupportedOperationException("the buffer writes arrays");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                List<Long> ids = new ArrayList<>();
                FrameReader frames = new FrameReader(new ByteArrayInputStream(b, off, len), WorkerLoop.PIPE_LIMITS);
                for (byte[] frame = frames.read(); frame != null; frame = frames.read()) {
                    WorkerMessage message = WorkerMessage.parseFrom(frame);
                    if (message.hasResult()) {
                        ids.add(message.getResult().getCallId());
                    }
                }
                if (!ids.isEmpty()) {
                    resultWrites.add(ids);
                }
                pipe.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                pipe.close();
            }
        };
        start(new BufferedOutputStream(recorder, 64 * 1024));
    }

    private void start(OutputStream output) {
        WorkerLoop worker = new WorkerLoop(toWorker.in(), output,
                (status, reason, cause) -> exits.add(status + " " + reason + " " + cause));
        loop = CompletableFuture.supplyAsync(worker::run, r -> Thread.ofPlatform().name("test-worker-reader").start(r));
    }

    @AfterEach
    void closeInput() throws IOException {
        toWorker.out().close();
        assertEquals(List.of(), exits);
    }

    private void send(SupervisorMessage message) throws IOException {
        supervisor.write(message.toByteArray());
    }

    /** Sends the messages in one write, so that the worker reads them together. */
    private void sendTogether(SupervisorMessage... messages) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FrameWriter frames = new FrameWriter(bytes, WorkerLoop.PIPE_LIMITS);
        for (SupervisorMessage message : messages) {
            frames.write(message.toByteArray());
        }
        toWorker.out().write(bytes.toByteArray());
    }

    private WorkerMessage receive() throws IOException {
        byte[] frame = replies.read();
        assertTrue(frame != null, "the worker closed its output");
        return WorkerMessage.parseFrom(frame);
    }

    private static WorkerInit init(int vms, String... filesAndSources) {
        WorkerInit.Builder init = WorkerInit.newBuilder().setWorkerId(42).setVmCount(vms)
                .setLimits(RunLimits.defaults().withTimes(5_000, 5_000).toProto()).setAgentVersion("9.9.9");
        for (int i = 0; i < filesAndSources.length; i += 2) {
            init.addScripts(ScriptSource.newBuilder().setFileName(filesAndSources[i]).setSource(filesAndSources[i + 1]));
        }
        return init.build();
    }

    private static SupervisorMessage call(long id, String method, String uri, String... headers) {
        HeaderList.Builder list = HeaderList.newBuilder();
        for (int i = 0; i < headers.length; i += 2) {
            list.addHeaders(Header.newBuilder().setName(headers[i]).addValues(headers[i + 1]));
        }
        RequestInfo.Builder request = RequestInfo.newBuilder().setMethod(method).setUri(uri).setClientIp("10.0.0.1")
                .setHeaderList(list.build().toByteString());
        return SupervisorMessage.newBuilder().setCall(HookCall.newBuilder().setCallId(id)
                .setPhase(Phase.PHASE_REQUEST_HEADERS).setCorrelationId("c" + id).setRequest(request)).build();
    }

    private WorkerReady startAndAwaitReady(WorkerInit init) throws IOException {
        start();
        return awaitReady(init);
    }

    private WorkerReady awaitReady(WorkerInit init) throws IOException {
        send(SupervisorMessage.newBuilder().setInit(init).build());
        WorkerMessage ready = receive();
        assertTrue(ready.hasReady(), ready::toString);
        return ready.getReady();
    }

    private void assertRetiresOnShutdown() throws Exception {
        send(SupervisorMessage.newBuilder().setShutdown(Shutdown.getDefaultInstance()).build());
        assertEquals(WorkerExit.RETIRED, exitStatus());
    }

    private WorkerExit exitStatus() throws Exception {
        return loop.get(30, TimeUnit.SECONDS);
    }

    @Test
    void answersInitWithReadyCallsWithResultsAndRetiresOnShutdown() throws Exception {
        WorkerReady ready = startAndAwaitReady(init(2, "10-auth.lua", AUTH, "20-headers.lua", HEADERS,
                "30-broken.lua", BROKEN));
        assertEquals(42, ready.getWorkerId());
        assertEquals(List.of(
                ScriptInfo.newBuilder().setFileName("10-auth.lua").setName("auth").addHooks(Hook.REQUEST_HEADERS)
                        .addPaths("/api/**").setPriority(10).build(),
                ScriptInfo.newBuilder().setFileName("20-headers.lua").setName("headers").addHooks(Hook.REQUEST_HEADERS)
                        .addHooks(Hook.RESPONSE_HEADERS).setPriority(100).build()), ready.getScriptsList());
        assertEquals(1, ready.getProblemsCount());
        assertEquals("30-broken.lua", ready.getProblems(0).getFileName());
        assertEquals(2, ready.getProblems(0).getLine());
        assertEquals("priority 'high' is not an integer", ready.getProblems(0).getReason());

        send(call(1, "GET", "/api/users"));
        send(call(2, "GET", "/api/users", "authorization", "Bearer x"));
        send(SupervisorMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSequence(5)).build());
        send(call(3, "GET", "/public"));
        Map<Long, HookResult> results = new HashMap<>();
        long heartbeat = -1;
        while (results.size() < 3 || heartbeat < 0) {
            WorkerMessage m = receive();
            if (m.hasHeartbeat()) {
                heartbeat = m.getHeartbeat().getSequence();
            } else {
                results.put(m.getResult().getCallId(), m.getResult());
            }
        }
        assertEquals(5, heartbeat);
        assertEquals(Action.BLOCK, results.get(1L).getVerdict().getAction());
        assertEquals(401, results.get(1L).getVerdict().getStatus());
        assertEquals(List.of("auth"), results.get(1L).getScriptsRunList());
        assertEquals(Action.ALLOW, results.get(2L).getVerdict().getAction());
        assertEquals(List.of("auth", "headers"), results.get(2L).getScriptsRunList());
        assertEquals(List.of("headers"), results.get(3L).getScriptsRunList());

        send(SupervisorMessage.newBuilder().setShutdown(Shutdown.newBuilder().setReason("test")).build());
        assertEquals(WorkerExit.RETIRED, exitStatus());
    }

    @Test
    void shutdownFinishesTheCallsAlreadyQueued() throws Exception {
        startAndAwaitReady(init(1, "h.lua", HEADERS));
        for (int i = 1; i <= 20; i++) {
            send(call(i, "GET", "/x"));
        }
        send(SupervisorMessage.newBuilder().setShutdown(Shutdown.newBuilder().setReason("retire")).build());
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(receive().getResult().getCallId());
        }
        assertEquals(WorkerExit.RETIRED, exitStatus());
        assertEquals(20, ids.stream().distinct().count());
        assertNull(replies.read(), "nothing after the last result");
    }

    @Test
    void manyPipelinedCallsAreAllAnsweredByTheirIds() throws Exception {
        startAndAwaitReady(init(3, "10-auth.lua", AUTH, "20-headers.lua", HEADERS));
        int n = 200;
        for (int i = 0; i < n; i++) {
            send(i % 2 == 0 ? call(i, "GET", "/api/x") : call(i, "GET", "/api/x", "authorization", "y"));
        }
        Map<Long, HookResult> results = new HashMap<>();
        while (results.size() < n) {
            HookResult r = receive().getResult();
            results.put(r.getCallId(), r);
        }
        for (long i = 0; i < n; i++) {
            assertEquals(i % 2 == 0 ? Action.BLOCK : Action.ALLOW, results.get(i).getVerdict().getAction(), "call " + i);
        }
        assertRetiresOnShutdown();
    }

    @Test
    void aSlowCallDoesNotHoldUpTheCallsBehindIt() throws Exception {
        startAndAwaitReady(init(2, "slow.lua", SLOW));
        send(call(1, "GET", "/slow"));
        send(call(2, "GET", "/fast"));
        List<Long> order = List.of(receive().getResult().getCallId(), receive().getResult().getCallId());
        assertEquals(List.of(2L, 1L), order, "the fast call is answered by the other VM first");
        assertRetiresOnShutdown();
    }

    @Test
    void theResultsOfCallsReadTogetherLeaveInOneWrite() throws Exception {
        startBuffered();
        awaitReady(init(1, "h.lua", HEADERS));
        sendTogether(call(1, "GET", "/a"), call(2, "GET", "/b"), call(3, "GET", "/c"));
        List<Long> received = List.of(receive().getResult().getCallId(), receive().getResult().getCallId(),
                receive().getResult().getCallId());
        assertEquals(List.of(1L, 2L, 3L), received);
        assertEquals(List.of(List.of(1L, 2L, 3L)), resultWrites);
        send(call(4, "GET", "/d"));
        assertEquals(4L, receive().getResult().getCallId(), "a call read alone is answered at once");
        assertRetiresOnShutdown();
    }

    @Test
    void aSlowCallReadAheadDoesNotHoldBackTheResultBeforeIt() throws Exception {
        startBuffered();
        awaitReady(init(2, "slow.lua", SLOW));
        // The first VM runs call 1 with calls 2 and 3 read ahead, holds its result back and runs
        // call 2; the other VM takes the pipe over and sends that result before it runs call 3.
        // (Three calls for two VMs: more than the supervisor sends, so that no third VM flushes.)
        sendTogether(call(1, "GET", "/fast"), call(2, "GET", "/slow"), call(3, "GET", "/slow"));
        assertEquals(1L, receive().getResult().getCallId());
        assertEquals(List.of(List.of(1L)), resultWrites, "the fast result went out alone, before the slow ones");
        assertEquals(Set.of(2L, 3L), Set.of(receive().getResult().getCallId(), receive().getResult().getCallId()));
        assertRetiresOnShutdown();
    }

    @Test
    void aVmIsRenewedWithFreshGlobalsAfterMaxExecutions() throws Exception {
        String counter = """
                -- name: counter
                function on_request_headers(request)
                    calls = (calls or 0) + 1
                    request:set_header("X-Calls", tostring(calls))
                end
                """;
        // Jitter shortens a limit by up to 2.5%: nothing at 3.
        startAndAwaitReady(init(1, "counter.lua", counter).toBuilder()
                .setVmRenewal(VmRenewal.newBuilder().setMaxExecutions(3)).build());
        List<String> seen = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            send(call(i, "GET", "/"));
            seen.add(receive().getResult().getVerdict().getRequestHeaders(0).getValue());
        }
        assertEquals(List.of("1", "2", "3", "1", "2", "3", "1"), seen);
    }

    @Test
    void withoutRenewalAVmKeepsItsGlobals() throws Exception {
        String counter = """
                function on_request_headers(request)
                    calls = (calls or 0) + 1
                    request:set_header("X-Calls", tostring(calls))
                end
                """;
        startAndAwaitReady(init(1, "counter.lua", counter));
        String last = null;
        for (int i = 1; i <= 10; i++) {
            send(call(i, "GET", "/"));
            last = receive().getResult().getVerdict().getRequestHeaders(0).getValue();
        }
        assertEquals("10", last);
    }

    @Test
    void anInitWithAnAgeBeyondRangeIsAProtocolError() throws Exception {
        start();
        send(SupervisorMessage.newBuilder().setInit(init(1, "h.lua", HEADERS).toBuilder()
                .setVmRenewal(VmRenewal.newBuilder().setMaxAgeMs(-1))).build());
        assertEquals(WorkerExit.PROTOCOL, exitStatus());
    }

    @Test
    void theEndOfInputEndsTheLoopAtOnce() throws Exception {
        startAndAwaitReady(init(1, "h.lua", HEADERS));
        toWorker.out().close();
        assertEquals(WorkerExit.RETIRED, exitStatus());
    }

    @Test
    void aFirstMessageOtherThanInitIsAProtocolError() throws Exception {
        start();
        send(call(1, "GET", "/"));
        assertEquals(WorkerExit.PROTOCOL, exitStatus());
    }

    @Test
    void anInvalidInitIsAProtocolError() throws Exception {
        start();
        send(SupervisorMessage.newBuilder().setInit(init(0, "h.lua", HEADERS)).build());
        assertEquals(WorkerExit.PROTOCOL, exitStatus());
        WorkerLoop noLimits = new WorkerLoop(frames(SupervisorMessage.newBuilder()
                .setInit(WorkerInit.newBuilder().setVmCount(1)).build()), new ByteArrayOutputStream(),
                (s, r, c) -> exits.add(r));
        assertEquals(WorkerExit.PROTOCOL, noLimits.run());
    }

    @Test
    void aFrameThatIsNotAMessageIsAProtocolError() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new FrameWriter(bytes, WorkerLoop.PIPE_LIMITS).write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
        WorkerLoop loop = new WorkerLoop(new ByteArrayInputStream(bytes.toByteArray()), new ByteArrayOutputStream(),
                (s, r, c) -> exits.add(r));
        assertEquals(WorkerExit.PROTOCOL, loop.run());
    }

    @Test
    void anOversizedLengthPrefixIsAProtocolError() {
        byte[] prefix = {0x7F, 0, 0, 0};
        WorkerLoop loop = new WorkerLoop(new ByteArrayInputStream(prefix), new ByteArrayOutputStream(),
                (s, r, c) -> exits.add(r));
        assertEquals(WorkerExit.PROTOCOL, loop.run());
    }

    @Test
    void aSecondInitIsAProtocolError() throws Exception {
        startAndAwaitReady(init(1, "h.lua", HEADERS));
        send(SupervisorMessage.newBuilder().setInit(init(1)).build());
        assertEquals(WorkerExit.PROTOCOL, exitStatus());
    }

    @Test
    void noInputAtAllEndsQuietly() {
        WorkerLoop loop = new WorkerLoop(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(),
                (s, r, c) -> exits.add(r));
        assertEquals(WorkerExit.RETIRED, loop.run());
    }

    private static ByteArrayInputStream frames(SupervisorMessage... messages) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(bytes, WorkerLoop.PIPE_LIMITS);
        for (SupervisorMessage m : messages) {
            writer.write(m.toByteArray());
        }
        return new ByteArrayInputStream(bytes.toByteArray());
    }
}
