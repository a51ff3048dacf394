package io.zentinel.sentinel.lua.supervisor.pool;

import static io.zentinel.sentinel.lua.supervisor.pool.FakeWorkers.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.protocol.frame.FlushBatch;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.Heartbeat;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.SupervisorMessage;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import io.zentinel.sentinel.lua.protocol.v1.WorkerInit;
import io.zentinel.sentinel.lua.protocol.v1.WorkerMessage;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerHandleTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration QUIET = Duration.ofMillis(150);
    private static final WorkerInit INIT = WorkerInit.newBuilder().setWorkerId(1).setVmCount(2).build();

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final List<FakeProcess> processes = new ArrayList<>();

    @AfterEach
    void stop() {
        processes.forEach(p -> p.exit(0));
        timer.shutdownNow();
    }

    private FakeProcess process() {
        FakeProcess process = new FakeProcess();
        processes.add(process);
        return process;
    }

    /** start-timeout 5 s, max-execution-time 100 ms, kill-grace 100 ms, heartbeats every 10 s. */
    private WorkerHandle handle(FakeProcess process) {
        return new WorkerHandle(1, process, Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMillis(100),
                Duration.ofSeconds(10), timer);
    }

    private static WorkerMessage ready() {
        return WorkerMessage.newBuilder().setReady(WorkerReady.newBuilder().setWorkerId(1)).build();
    }

    private static WorkerMessage result(long callId, String tag) {
        return WorkerMessage.newBuilder().setResult(HookResult.newBuilder().setCallId(callId)
                .setVerdict(Verdict.newBuilder().addTags(tag))).build();
    }

    private static WorkerGoneException gone(CompletableFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
        return (WorkerGoneException) e.getCause();
    }

    private WorkerHandle readyHandle(FakeProcess process) throws Exception {
        return readyHandle(process, Duration.ofMillis(100));
    }

    /** A ready handle with the given max-execution-time, kill-grace 100 ms. */
    private WorkerHandle readyHandle(FakeProcess process, Duration maxExecutionTime) throws Exception {
        WorkerHandle handle = new WorkerHandle(1, process, Duration.ofSeconds(5), maxExecutionTime,
                Duration.ofMillis(100), Duration.ofSeconds(10), timer);
        CompletableFuture<WorkerReady> started = handle.start(INIT);
        assertEquals(INIT, process.received(WAIT).getInit());
        process.send(ready());
        started.get(5, TimeUnit.SECONDS);
        return handle;
    }

    @Test
    void startSendsTheInitFrameAndCompletesWhenTheWorkerIsReady() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = handle(process);

        CompletableFuture<WorkerReady> started = handle.start(INIT);
        assertEquals(WorkerState.STARTING, handle.state());
        assertFalse(handle.tryReserve(), "no calls before ready");
        SupervisorMessage first = process.received(WAIT);
        process.send(ready());

        assertEquals(INIT, first.getInit());
        assertEquals(1, started.get(5, TimeUnit.SECONDS).getWorkerId());
        assertEquals(WorkerState.READY, handle.state());
        assertEquals(4242, handle.pid());
        assertEquals(Duration.ofMillis(200), handle.callDeadline());
        assertEquals(2, handle.capacity(), "one call per Lua VM of the init frame");
    }

    @Test
    void aWorkerNotReadyWithinTheStartTimeoutIsKilled() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = new WorkerHandle(1, process, Duration.ofMillis(100), Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofSeconds(10), timer);

        WorkerGoneException e = gone(handle.start(INIT));

        assertEquals(FailureCause.WORKER_KILLED, e.failureCause());
        assertEquals("worker-1 - not ready within PT0.1S (workers.start-timeout)", e.getMessage());
        assertEquals(new WorkerExitStatus(137, "not ready within PT0.1S (workers.start-timeout)", false),
                handle.exit().get(5, TimeUnit.SECONDS));
        assertEquals(WorkerState.DEAD, handle.state());
    }

    @Test
    void resultsFindTheirCallsByCallIdInAnyOrder() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);
        assertTrue(handle.tryReserve());
        assertTrue(handle.tryReserve());

        assertFalse(handle.tryReserve(), "2 Lua VMs, 2 reservations at most");
        CompletableFuture<HookResult> first = handle.call(HookCall.newBuilder().setCallId(77).setCorrelationId("a").build());
        CompletableFuture<HookResult> second = handle.call(HookCall.newBuilder().setCorrelationId("b").build());
        HookCall sentFirst = process.received(WAIT).getCall();
        HookCall sentSecond = process.received(WAIT).getCall();
        process.send(result(sentSecond.getCallId(), "second"));
        process.send(result(sentFirst.getCallId(), "first"));

        assertEquals("a", sentFirst.getCorrelationId());
        assertEquals(1, sentFirst.getCallId(), "the handle numbers its calls itself");
        assertEquals(2, sentSecond.getCallId());
        assertEquals("first", first.get(5, TimeUnit.SECONDS).getVerdict().getTags(0));
        assertEquals("second", second.get(5, TimeUnit.SECONDS).getVerdict().getTags(0));
        assertEquals(2, handle.executions());
        assertEquals(2, handle.inFlight());
        handle.release();
        assertTrue(handle.tryReserve(), "a returned reservation frees its VM");
        handle.release();
        handle.release();
        assertEquals(0, handle.inFlight());
        IllegalStateException e = assertThrows(IllegalStateException.class, handle::release);
        assertEquals("worker-1 - release without a reservation", e.getMessage());
    }

    @Test
    void callsMadeOnAThreadWithAFlushBatchLeaveWhenTheBatchIsFlushed() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);

        try (FlushBatch batch = FlushBatch.open()) {
            handle.call(HookCall.newBuilder().setCorrelationId("a").build());
            handle.call(HookCall.newBuilder().setCorrelationId("b").build());
            assertNull(process.received(Duration.ofMillis(200)), "held back in the pipe's buffer");

            batch.flushHeld();

            assertEquals("a", process.received(WAIT).getCall().getCorrelationId());
            assertEquals("b", process.received(WAIT).getCall().getCorrelationId());
        }
    }

    @Test
    void aHeldCallThatCannotBeWrittenKillsTheWorkerWhenTheBatchIsFlushed() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);
        process.closeStdin();
        CompletableFuture<HookResult> call;

        try (FlushBatch ignored = FlushBatch.open()) {
            call = handle.call(HookCall.getDefaultInstance());
        }

        WorkerGoneException e = gone(call);
        assertEquals("worker-1 - killed: pipe write failed: Broken pipe (killed by SIGKILL (exit 137))", e.getMessage());
    }

    @Test
    void theCallFrameCarriesTheHandlesCallIdWithoutAnyOtherChange() throws Exception {
        HookCall call = HookCall.newBuilder().setCallId(77).setCorrelationId("c").setPhase(Phase.PHASE_REQUEST_HEADERS)
                .setRequest(RequestInfo.newBuilder().setMethod("GET").setUri("/")
                        .setHeaderList(HeaderList.newBuilder()
                                .addHeaders(Header.newBuilder().setName("a").addValues("1").addValues("2"))
                                .build().toByteString()))
                .build();
        SupervisorMessage parsed = SupervisorMessage.parseFrom(WorkerHandle.withCallId(call, 5));
        assertEquals(call.toBuilder().setCallId(5).build(), parsed.getCall());
    }

    @Test
    void deadlinesAreSweptOnlyWhileCallsArePending() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);
        assertEquals(1, liveTimerTasks(), "a ready idle worker has only its heartbeat timer");
        CompletableFuture<HookResult> answered = handle.call(HookCall.getDefaultInstance());
        assertEquals(2, liveTimerTasks(), "a pending call starts the deadline sweep");
        process.send(result(process.received(WAIT).getCall().getCallId(), "done"));
        answered.get(5, TimeUnit.SECONDS);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (liveTimerTasks() > 1 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(1, liveTimerTasks(), "with nothing pending the sweep stops");

        CompletableFuture<HookResult> stuck = handle.call(HookCall.getDefaultInstance());
        process.received(WAIT);
        assertEquals(FailureCause.TIME_LIMIT, gone(stuck).failureCause(), "a later call is swept again");
    }

    /** Timer tasks scheduled and not cancelled (a cancelled task stays queued until its time). */
    private long liveTimerTasks() {
        return timer.getQueue().stream().filter(task -> !((Future<?>) task).isCancelled()).count();
    }

    @Test
    void aCrashFailsEveryPendingCallAtOnce() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);
        CompletableFuture<HookResult> first = handle.call(HookCall.getDefaultInstance());
        CompletableFuture<HookResult> second = handle.call(HookCall.getDefaultInstance());
        process.received(WAIT);
        process.received(WAIT);

        process.exit(70);

        for (CompletableFuture<HookResult> call : List.of(first, second)) {
            WorkerGoneException e = gone(call);
            assertEquals(FailureCause.WORKER_CRASHED, e.failureCause());
            assertEquals("worker-1 - internal error (exit 70)", e.getMessage());
        }
        assertEquals(new WorkerExitStatus(70, null, false), handle.exit().get(5, TimeUnit.SECONDS));
        WorkerGoneException late = gone(handle.call(HookCall.getDefaultInstance()));
        assertEquals("worker-1 - internal error (exit 70)", late.getMessage());
    }

    @Test
    void aCallOverrunningItsDeadlineKillsTheWorker() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);
        long sent = System.nanoTime();
        CompletableFuture<HookResult> stuck = handle.call(HookCall.getDefaultInstance());
        process.received(WAIT);
        CompletableFuture<HookResult> bystander = new CompletableFuture<>();
        timer.schedule(() -> handle.call(HookCall.getDefaultInstance()).whenComplete((r, e) -> {
            if (e != null) {
                bystander.completeExceptionally(e);
            } else {
                bystander.complete(r);
            }
        }), 50, TimeUnit.MILLISECONDS);

        WorkerGoneException overrun = gone(stuck);

        assertTrue(System.nanoTime() - sent >= TimeUnit.MILLISECONDS.toNanos(200));
        assertEquals(FailureCause.TIME_LIMIT, overrun.failureCause());
        assertEquals("worker-1 - call not answered within PT0.2S (resource-limits.max-execution-time PT0.1S"
                + " + workers.kill-grace PT0.1S), worker killed", overrun.getMessage());
        WorkerGoneException other = gone(bystander);
        assertEquals(FailureCause.WORKER_KILLED, other.failureCause());
        assertEquals("worker-1 - killed: execution time overrun (killed by SIGKILL (exit 137))", other.getMessage());
        assertEquals(1, process.sigkills.get());
        assertEquals(0, process.sigterms.get());
    }

    @Test
    void anAnswerThatCameWhileTheSupervisorStoodStillIsNotAnOverrun() throws Exception {
        FakeProcess process = process();
        AtomicLong frozen = new AtomicLong();
        WorkerHandle handle = new WorkerHandle(1, process, Duration.ofSeconds(5), Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofSeconds(10), timer,
                new WatchClock(() -> System.nanoTime() + frozen.get()));
        CompletableFuture<WorkerReady> started = handle.start(INIT);
        process.received(WAIT);
        process.send(ready());
        started.get(5, TimeUnit.SECONDS);
        CompletableFuture<HookResult> call = handle.call(HookCall.getDefaultInstance());
        long callId = process.received(WAIT).getCall().getCallId();

        // as the sweep sees it: the supervisor stood still for a second, five call deadlines
        frozen.set(TimeUnit.SECONDS.toNanos(1));
        Thread.sleep(50); // sweeps run before the answer is read, as the timer may after a stall
        process.send(result(callId, "answered"));

        assertEquals("answered", call.get(5, TimeUnit.SECONDS).getVerdict().getTags(0));
        assertEquals(0, process.sigkills.get());
    }

    /** The second of two calls; answering the first keeps the handle's stdout reader busy for a while. */
    private record SecondCall(CompletableFuture<HookResult> future, long callId) {
    }

    private static SecondCall behindABusyReader(WorkerHandle handle, FakeProcess process, Duration busy)
            throws Exception {
        CompletableFuture<HookResult> first = handle.call(HookCall.getDefaultInstance());
        CompletableFuture<HookResult> second = handle.call(HookCall.getDefaultInstance());
        first.thenRun(() -> sleep(busy)); // runs on the reader thread, which completes the call
        long firstId = process.received(WAIT).getCall().getCallId();
        long secondId = process.received(WAIT).getCall().getCallId();
        process.send(result(firstId, "first"));
        return new SecondCall(second, secondId);
    }

    @Test
    void anOverdueCallWaitsWhileTheReaderStillHasFramesToTake() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);
        // busy past the second call's deadline (200 ms), well short of one more deadline
        SecondCall second = behindABusyReader(handle, process, Duration.ofMillis(250));

        process.send(result(second.callId(), "second"));

        assertEquals("second", second.future().get(5, TimeUnit.SECONDS).getVerdict().getTags(0));
        assertEquals(0, process.sigkills.get());
    }

    @Test
    void aReaderThatNeverCatchesUpDelaysTheKillByOneCallDeadlineAtMost() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);
        long sent = System.nanoTime();

        SecondCall second = behindABusyReader(handle, process, Duration.ofSeconds(2));

        WorkerGoneException overrun = gone(second.future());

        long waited = System.nanoTime() - sent;
        assertEquals(FailureCause.TIME_LIMIT, overrun.failureCause());
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(400), "killed after " + waited / 1_000_000 + " ms");
        assertTrue(waited < TimeUnit.MILLISECONDS.toNanos(1500), "killed after " + waited / 1_000_000 + " ms");
        assertEquals(1, process.sigkills.get());
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aCallBeyondTheWorkersLuaVmsIsRefusedRatherThanQueuedInTheWorker() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process, Duration.ofSeconds(5));
        handle.call(HookCall.getDefaultInstance());
        CompletableFuture<HookResult> second = handle.call(HookCall.getDefaultInstance());
        process.received(WAIT);
        long secondId = process.received(WAIT).getCall().getCallId();

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> handle.call(HookCall.getDefaultInstance()));

        assertEquals("worker-1 - a call beyond its 2 Lua VMs would queue in the worker (one call per reservation)",
                e.getMessage());
        assertNull(process.received(QUIET), "nothing written for the refused call");
        process.send(result(secondId, "done"));
        assertEquals("done", second.get(5, TimeUnit.SECONDS).getVerdict().getTags(0));
        handle.call(HookCall.getDefaultInstance());
        assertNotNull(process.received(WAIT), "an answered call frees its VM");
    }

    @Test
    void overrunningCallsKillTheWorkerOnceAndLogItOnce() throws Exception {
        // SIGKILL takes effect late, as on a loaded machine, so both deadlines pass before the exit
        FakeProcess process = process().exitsAfterSigkill(Duration.ofMillis(300));
        CapturingLogger log = new CapturingLogger("worker-1");
        WorkerHandle handle = new WorkerHandle(1, process, Duration.ofSeconds(5), Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofSeconds(10), timer, log);
        CompletableFuture<WorkerReady> started = handle.start(INIT);
        process.received(WAIT);
        process.send(ready());
        started.get(5, TimeUnit.SECONDS);
        CompletableFuture<HookResult> first = handle.call(HookCall.getDefaultInstance());
        CompletableFuture<HookResult> second = handle.call(HookCall.getDefaultInstance());

        assertEquals(FailureCause.TIME_LIMIT, gone(first).failureCause());
        assertEquals(FailureCause.TIME_LIMIT, gone(second).failureCause());
        assertEquals(new WorkerExitStatus(137, "execution time overrun", false), handle.exit().get(5, TimeUnit.SECONDS));

        assertEquals(1, process.sigkills.get());
        assertEquals(List.of("WARN worker-1 - killing (pid 4242): execution time overrun"),
                log.lines.stream().filter(line -> line.contains("killing")).toList());
    }

    /** A handle made ready at once, with heartbeats every {@code interval}. */
    private WorkerHandle readyWithHeartbeats(FakeProcess process, Duration interval) throws Exception {
        WorkerHandle handle = new WorkerHandle(1, process, Duration.ofSeconds(5), Duration.ofMillis(100),
                Duration.ofMillis(100), interval, timer);
        handle.start(INIT);
        process.received(WAIT);
        process.send(ready());
        return handle;
    }

    @Test
    void aWorkerThatMissesThreeHeartbeatsIsKilled() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyWithHeartbeats(process, Duration.ofMillis(30));

        WorkerExitStatus status = handle.exit().get(5, TimeUnit.SECONDS);

        assertEquals(new WorkerExitStatus(137, "missed heartbeat", false), status);
        for (long sequence = 1; sequence <= WorkerHandle.MAX_MISSED_HEARTBEATS; sequence++) {
            SupervisorMessage message = process.received(WAIT);
            assertEquals(sequence, message.getHeartbeat().getSequence());
        }
    }

    @Test
    void answeredHeartbeatsKeepTheWorkerAlive() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyWithHeartbeats(process, Duration.ofMillis(50));

        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        int echoed = 0;
        while (System.nanoTime() < until) {
            SupervisorMessage message = process.received(Duration.ofMillis(100));
            if (message != null && message.hasHeartbeat()) {
                process.send(WorkerMessage.newBuilder().setHeartbeat(message.getHeartbeat()).build());
                echoed++;
            }
        }

        assertTrue(echoed >= 5, "heartbeats echoed: " + echoed);
        assertEquals(WorkerState.READY, handle.state());
        assertFalse(handle.exit().isDone());
    }

    @Test
    void heartbeatsMissedWhileTheTimerStoodStillAreNotSentBackToBack() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyWithHeartbeats(process, Duration.ofMillis(50));
        Thread echo = Thread.ofPlatform().daemon().start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    SupervisorMessage message = process.received(Duration.ofMillis(100));
                    if (message != null && message.hasHeartbeat()) {
                        process.send(WorkerMessage.newBuilder().setHeartbeat(message.getHeartbeat()).build());
                    }
                }
            } catch (InterruptedException | IOException e) {
                // test over
            }
        });

        timer.execute(() -> sleep(Duration.ofMillis(400))); // eight heartbeat ticks pass unrun
        Thread.sleep(600);
        echo.interrupt();

        assertEquals(WorkerState.READY, handle.state());
        assertFalse(handle.exit().isDone(), "killed: " + handle.exit().getNow(null));
    }

    @Test
    void heartbeatEchoesFromTheFutureDoNotHideMissedOnes() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyWithHeartbeats(process, Duration.ofMillis(30));
        process.send(WorkerMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSequence(1_000_000)).build());

        assertEquals("missed heartbeat", handle.exit().get(5, TimeUnit.SECONDS).killReason());
    }

    @Test
    void retiringSendsShutdownOnlyAfterTheLastReservationIsReturned() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process, Duration.ofSeconds(5));
        assertTrue(handle.tryReserve());
        CompletableFuture<HookResult> call = handle.call(HookCall.getDefaultInstance());
        long callId = process.received(WAIT).getCall().getCallId();

        handle.retire("replaced by worker-2");

        assertEquals(WorkerState.RETIRING, handle.state());
        assertFalse(handle.tryReserve());
        assertNull(process.received(QUIET), "no Shutdown while a call is leased");
        process.send(result(callId, "done"));
        assertEquals("done", call.get(5, TimeUnit.SECONDS).getVerdict().getTags(0));
        assertNull(process.received(QUIET), "no Shutdown before the reservation is returned");
        handle.release();
        SupervisorMessage shutdown = process.received(WAIT);
        assertNotNull(shutdown);
        assertEquals("replaced by worker-2", shutdown.getShutdown().getReason());
        process.exit(0);

        assertEquals(new WorkerExitStatus(0, null, true), handle.exit().get(5, TimeUnit.SECONDS));
        assertEquals(0, process.sigterms.get() + process.sigkills.get());
    }

    @Test
    void aRetiredWorkerThatDoesNotExitGetsSigtermAndThenSigkill() throws Exception {
        FakeProcess process = process().ignoresSigterm();
        WorkerHandle handle = readyHandle(process);
        long retired = System.nanoTime();

        handle.retire("pool closing");

        SupervisorMessage shutdown = process.received(WAIT);
        assertEquals("pool closing", shutdown.getShutdown().getReason());
        WorkerExitStatus status = handle.exit().get(5, TimeUnit.SECONDS);
        // from Shutdown: call deadline (200 ms) + grace (100 ms) until SIGTERM, one more grace until SIGKILL
        assertTrue(System.nanoTime() - retired >= TimeUnit.MILLISECONDS.toNanos(400));
        assertEquals(1, process.sigterms.get());
        assertEquals(1, process.sigkills.get());
        assertEquals(new WorkerExitStatus(137, "did not stop within PT0.1S of SIGTERM, SIGKILL", true), status);
    }

    @Test
    void aRetiredWorkerThatDoesNotExitStopsAtSigterm() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);

        handle.retire("pool closing");

        WorkerExitStatus status = handle.exit().get(5, TimeUnit.SECONDS);
        assertEquals(1, process.sigterms.get());
        assertEquals(0, process.sigkills.get());
        assertEquals("killed: did not exit within PT0.3S of Shutdown, SIGTERM (terminated by SIGTERM (exit 143))",
                status.describe());
    }

    @Test
    void aReservationNeverReturnedDelaysShutdownOnlyUntilTheCallDeadlineAndAGrace() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);
        assertTrue(handle.tryReserve());
        long retired = System.nanoTime();

        handle.retire("pool closing");

        SupervisorMessage shutdown = process.received(WAIT);
        assertTrue(System.nanoTime() - retired >= TimeUnit.MILLISECONDS.toNanos(300));
        assertEquals("pool closing", shutdown.getShutdown().getReason());
        process.exit(0);
        assertEquals(new WorkerExitStatus(0, null, true), handle.exit().get(5, TimeUnit.SECONDS));
    }

    @Test
    void aCorruptFrameOnStdoutKillsTheWorker() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);

        process.sendRaw(new byte[] {0, 0, 0, 0});

        assertEquals("protocol error on stdout: frame length 0 is invalid",
                handle.exit().get(5, TimeUnit.SECONDS).killReason());
    }

    @Test
    void anOversizedFrameOnStdoutKillsTheWorkerBeforeAllocating() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);

        process.sendRaw(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});

        assertEquals("protocol error on stdout: frame length (2147483647) exceeds the maximum allowed"
                + " (67108864, from 'worker pipe')", handle.exit().get(5, TimeUnit.SECONDS).killReason());
    }

    @Test
    void aWorkerThatClosesStdoutButLivesOnIsKilled() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);

        process.closeStdout();

        assertEquals("closed its stdout without exiting", handle.exit().get(5, TimeUnit.SECONDS).killReason());
    }

    @Test
    void aRetiringWorkerMayExitLaterThanAKillGraceAfterClosingStdout() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process, Duration.ofSeconds(5));
        handle.retire("replaced by worker-2");
        process.received(WAIT);

        process.closeStdout();
        Thread.sleep(300); // three kill graces (100 ms), well within the retirement's 5.1 s
        process.exit(0);

        assertEquals(new WorkerExitStatus(0, null, true), handle.exit().get(5, TimeUnit.SECONDS));
        assertEquals(0, process.sigterms.get() + process.sigkills.get());
    }

    @Test
    void aCallThatCannotBeWrittenKillsTheWorkerAndFailsWithTheKill() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);
        process.closeStdin();

        WorkerGoneException e = gone(handle.call(HookCall.getDefaultInstance()));

        assertEquals(FailureCause.WORKER_KILLED, e.failureCause());
        assertEquals("worker-1 - killed: pipe write failed: Broken pipe (killed by SIGKILL (exit 137))", e.getMessage());
    }

    @Test
    void killIsLoggedAsAKillAndEndsPendingCallsAsKilled() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process);
        CompletableFuture<HookResult> call = handle.call(HookCall.getDefaultInstance());
        process.received(WAIT);

        handle.kill("memory breach");
        handle.kill("second reason is ignored");

        WorkerGoneException e = gone(call);
        assertEquals(FailureCause.WORKER_KILLED, e.failureCause());
        assertEquals("worker-1 - killed: memory breach (killed by SIGKILL (exit 137))", e.getMessage());
        await("dead", WAIT, () -> handle.state() == WorkerState.DEAD);
        assertFalse(handle.tryReserve());
    }

    // ------------------------------------------------------------------ kernel limits

    /** A ready handle whose cgroup reports {@code oomKills} and whose process runs under {@code limits}. */
    private WorkerHandle readyHandle(FakeProcess process, ProcessLimits limits, LongSupplier oomKills)
            throws Exception {
        WorkerHandle handle = new WorkerHandle(1, process, Duration.ofSeconds(5), Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofSeconds(10), timer, new CapturingLogger("test"), limits, oomKills,
                new WatchClock());
        CompletableFuture<WorkerReady> started = handle.start(INIT);
        assertEquals(INIT, process.received(WAIT).getInit());
        process.send(ready());
        started.get(5, TimeUnit.SECONDS);
        return handle;
    }

    @Test
    void aSigkillWhileTheCgroupCountedAnOomKillIsAMemoryBreachForTheCallsInFlight() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process, ProcessLimits.none(), () -> 1);
        CompletableFuture<HookResult> call = handle.call(HookCall.getDefaultInstance());
        process.received(WAIT);

        process.exit(137);

        WorkerGoneException e = gone(call);
        assertEquals(FailureCause.MEMORY_LIMIT, e.failureCause());
        assertEquals("worker-1 - killed: cgroup memory limit (oom_kill) (killed by SIGKILL (exit 137))", e.getMessage());
        assertEquals(new WorkerExitStatus(137, "cgroup memory limit (oom_kill)", false),
                handle.exit().get(5, TimeUnit.SECONDS));
    }

    @Test
    void aSigkillWithoutAnOomKillInTheCgroupStaysACrash() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process, ProcessLimits.none(), () -> 0);
        CompletableFuture<HookResult> call = handle.call(HookCall.getDefaultInstance());
        process.received(WAIT);

        process.exit(137);

        WorkerGoneException e = gone(call);
        assertEquals(FailureCause.WORKER_CRASHED, e.failureCause());
        assertEquals("worker-1 - killed by SIGKILL (exit 137)", e.getMessage());
    }

    @Test
    void ourOwnKillIsNotMistakenForAnOomKill() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process, ProcessLimits.none(), () -> 1);

        handle.kill("missed heartbeat");

        assertEquals(new WorkerExitStatus(137, "missed heartbeat", false), handle.exit().get(5, TimeUnit.SECONDS));
    }

    @Test
    void sigxcpuUnderACpuSecondsLimitIsAKillNamingTheKey() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process, new ProcessLimits(0, 30), () -> -1);
        CompletableFuture<HookResult> call = handle.call(HookCall.getDefaultInstance());
        process.received(WAIT);

        process.exit(152);

        WorkerGoneException e = gone(call);
        assertEquals(FailureCause.WORKER_KILLED, e.failureCause());
        assertEquals("worker-1 - killed: used up workers.cpu-seconds (30 s of CPU) (CPU time limit, SIGXCPU (exit 152))",
                e.getMessage());
    }

    @Test
    void sigxcpuWithoutACpuSecondsLimitStaysACrash() throws Exception {
        FakeProcess process = process();
        WorkerHandle handle = readyHandle(process, ProcessLimits.none(), () -> -1);

        process.exit(152);

        assertEquals(new WorkerExitStatus(152, null, false), handle.exit().get(5, TimeUnit.SECONDS));
        assertEquals(FailureCause.WORKER_CRASHED, WorkerHandle.failureCause(handle.exit().get()));
    }
}
