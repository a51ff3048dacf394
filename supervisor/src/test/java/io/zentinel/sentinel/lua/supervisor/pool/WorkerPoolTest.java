package io.zentinel.sentinel.lua.supervisor.pool;

import static io.zentinel.sentinel.lua.supervisor.pool.FakeWorkers.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.protocol.v1.SupervisorMessage;
import io.zentinel.sentinel.lua.protocol.v1.WorkerMessage;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final ScriptSet SCRIPTS = ScriptSet.of(List.of(
            ScriptSource.newBuilder().setFileName("a.lua").setSource("-- a").build()));
    private static final ScriptSet NEW_SCRIPTS = ScriptSet.of(List.of(
            ScriptSource.newBuilder().setFileName("b.lua").setSource("-- b").build()));
    /** Early deaths within 10 s; backoff 20 ms doubling to 80 ms; reset after 300 ms; housekeeping every 20 ms. */
    private static final WorkerPool.Tuning FAST = new WorkerPool.Tuning(Duration.ofSeconds(10), Duration.ofMillis(20),
            Duration.ofMillis(80), Duration.ofMillis(300), Duration.ofMillis(20));
    /** Every death counts as after a healthy life: replacement without delay. */
    private static final WorkerPool.Tuning NO_EARLY_DEATHS = new WorkerPool.Tuning(Duration.ZERO, Duration.ofMillis(20),
            Duration.ofMillis(80), Duration.ofMillis(300), Duration.ofMillis(20));

    private final List<WorkerPool> pools = new ArrayList<>();

    @AfterEach
    void closePools() {
        pools.forEach(WorkerPool::close);
    }

    private WorkerPool pool(TestConfig config, FakeWorkers workers, WorkerPool.Tuning tuning) {
        WorkerPool pool = new WorkerPool(config.build(), workers, tuning, new Random(42));
        pools.add(pool);
        return pool;
    }

    private static TestConfig workers(int count) {
        TestConfig config = new TestConfig();
        config.workers = count;
        return config;
    }

    private static HookCall call() {
        return HookCall.newBuilder().setCorrelationId("c").build();
    }

    @Test
    void startsAllWorkersWithTheSameScriptsAndTheirOwnIds() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(3), workers, FAST);

        assertNull(pool.currentReady(), "nothing serves before start");
        WorkerReady ready = pool.start(SCRIPTS);

        assertSame(ready, pool.currentReady(), "the scripts that serve, for the dispatcher");
        assertEquals(0, ready.getProblemsCount());
        assertEquals(3, workers.workers.size());
        for (FakeWorker worker : workers.workers) {
            assertEquals(worker.id(), worker.init().getWorkerId());
            assertEquals("a.lua", worker.init().getScripts(0).getFileName());
            assertEquals(1, worker.init().getVmCount());
        }
        List<WorkerStatus> snapshot = pool.snapshot();
        assertEquals(List.of(1, 2, 3), snapshot.stream().map(WorkerStatus::id).toList());
        assertTrue(snapshot.stream().allMatch(s -> s.state() == WorkerState.READY && s.generation() == 1
                && s.restarts() == 0 && s.lastExit() == null));
        assertEquals(1, pool.generation());
    }

    @Test
    void startFailsNamingEachWorkersExitWhenNoWorkerGetsReady() {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.failing(78));
        WorkerPool pool = pool(workers(2), workers, FAST);

        PoolStartException e = assertThrows(PoolStartException.class, () -> pool.start(SCRIPTS));

        assertEquals("no worker became ready (2 of 2 failed): worker-1 - script set invalid (exit 78);"
                + " worker-2 - script set invalid (exit 78)", e.getMessage());
    }

    @Test
    void startSucceedsWhenSomeWorkersGetReadyAndRelaunchesTheOthersWithBackoff() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready())
                .then(FakeWorker.Behaviour.ready(), FakeWorker.Behaviour.failing(70));
        WorkerPool pool = pool(workers(2), workers, FAST);

        pool.start(SCRIPTS);

        FakeWorker third = readyWorker(workers, 3);
        // the second launch got the failing behaviour: worker-1 or worker-2, as their launches raced
        int failed = workers.workers.get(1).id();
        String death = "worker-" + failed + " - internal error (exit 70)";
        assertEquals(new WorkerPool.CrashLoop(1, Duration.ofMillis(20), death), pool.crashLoop());
        WorkerStatus relaunched = pool.snapshot().stream().filter(s -> s.id() == 3).findFirst().orElseThrow();
        assertEquals(failed - 1, relaunched.slot());
        assertEquals(1, relaunched.restarts());
        assertEquals(death, relaunched.lastExit());
    }

    @Test
    void acquirePicksTheLeastLoadedReadyWorker() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        TestConfig config = workers(3);
        config.vmsPerWorker = 2;
        WorkerPool pool = pool(config, workers, FAST);
        pool.start(SCRIPTS);

        WorkerLease first = pool.acquire(WAIT);
        WorkerLease second = pool.acquire(WAIT);
        WorkerLease third = pool.acquire(WAIT);
        assertEquals(Set.of(1, 2, 3), Set.of(first.workerId(), second.workerId(), third.workerId()));

        second.close();
        try (WorkerLease next = pool.acquire(WAIT)) {
            assertEquals(second.workerId(), next.workerId());
        }
        WorkerLease fourth = pool.acquire(WAIT);
        assertEquals(second.workerId(), fourth.workerId(), "the only idle worker");
        WorkerLease fifth = pool.acquire(WAIT);
        assertTrue(workers.workers.stream().allMatch(w -> w.maxReserved() <= 2));
        assertEquals(4, workers.workers.stream().mapToInt(FakeWorker::inFlight).sum());
        List.of(first, third, fourth, fifth).forEach(WorkerLease::close);
        assertTrue(workers.workers.stream().allMatch(w -> w.inFlight() == 0));
    }

    @Test
    void aWorkerWithNLuaVmsTakesAtMostNCallsAndWithAllBusyAcquireFailsAsOverloaded() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        TestConfig config = workers(2);
        config.vmsPerWorker = 3;
        WorkerPool pool = pool(config, workers, FAST);
        pool.start(SCRIPTS);

        List<WorkerLease> leases = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            leases.add(pool.acquire(WAIT));
        }
        long before = System.nanoTime();
        NoWorkerException e = assertThrows(NoWorkerException.class, () -> pool.acquire(Duration.ofMillis(50)));

        assertTrue(System.nanoTime() - before >= TimeUnit.MILLISECONDS.toNanos(50), "waited its timeout");
        assertEquals(FailureCause.OVERLOADED, e.failureCause());
        assertEquals("no free Lua VM within PT0.05S (6 of 6 busy on 2 ready workers, workers.vms-per-worker 3)",
                e.getMessage());
        for (FakeWorker worker : workers.workers) {
            assertEquals(3, worker.capacity());
            assertEquals(3, worker.maxReserved(), "each worker took as many calls as it has VMs, no more");
        }
        leases.forEach(WorkerLease::close);
        assertTrue(workers.workers.stream().allMatch(w -> w.inFlight() == 0));
    }

    @Test
    void acquireWaitsForAReleasedLuaVmAndThenSucceeds() throws Exception {
        OneVmHeld started = startedWithItsOneVmHeld();
        FakeWorkers workers = started.workers();
        WorkerPool pool = started.pool();
        WorkerLease held = started.held();

        CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime();
            try (WorkerLease lease = pool.acquire(WAIT)) {
                assertEquals(1, lease.workerId());
                return System.nanoTime() - start;
            } catch (NoWorkerException ex) {
                throw new AssertionError(ex);
            }
        });
        TimeUnit.MILLISECONDS.sleep(100);
        assertFalse(waited.isDone(), "the only VM is leased");
        held.close();

        long nanos = waited.get(5, TimeUnit.SECONDS);
        // it was still waiting 100 ms in (asserted above); it must end well before its timeout
        assertTrue(nanos < WAIT.toNanos() / 2, "woken by the release, not by its timeout: " + nanos / 1_000_000 + " ms");
        assertEquals(1, workers.workers.get(0).maxReserved());
    }

    @Test
    void manyConcurrentLeasesNeverExceedAnyWorkersLuaVmsAndAllGetServed() throws Exception {
        // each call takes about a millisecond, during which its VM is busy
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready().answering(c -> {
            try {
                TimeUnit.MILLISECONDS.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return FakeWorker.allow(c);
        }));
        TestConfig config = workers(2);
        config.vmsPerWorker = 2;
        WorkerPool pool = pool(config, workers, FAST);
        pool.start(SCRIPTS);

        // 16 callers on 4 VMs, as in the load test: most of them wait in acquire at any time
        List<CompletableFuture<Void>> callers = new ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 16; c++) {
                callers.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 25; i++) {
                        try (WorkerLease lease = pool.acquire(WAIT)) {
                            lease.call(call()).get(1, TimeUnit.SECONDS);
                        } catch (Exception ex) {
                            throw new AssertionError(ex);
                        }
                    }
                }, threads));
            }
            CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }

        assertEquals(400, workers.workers.stream().mapToLong(FakeWorker::executions).sum());
        for (FakeWorker worker : workers.workers) {
            assertTrue(worker.maxReserved() <= 2, worker + " held " + worker.maxReserved() + " calls at once");
            assertTrue(worker.executions() >= 100, "both workers share the load: " + worker.executions());
            assertEquals(0, worker.inFlight());
        }
        assertTrue(workers.workers.stream().anyMatch(w -> w.maxReserved() == 2), "the VMs were all busy at times");
    }

    @Test
    void eventsBeyondTheLuaVmsWaitInTheSupervisorSoTheirDeadlineIsNotHit() throws Exception {
        // one worker with one Lua VM, each call takes 150 ms: 4 calls sent at once would queue in
        // the worker, and the last would be answered after 600 ms, over the 400 ms deadline
        TestConfig config = workers(1);
        config.maxExecutionTime = Duration.ofMillis(200);
        config.killGrace = Duration.ofMillis(200);
        AgentConfig agentConfig = config.build();
        List<FakeProcess> processes = new CopyOnWriteArrayList<>();
        WorkerPool pool = new WorkerPool(agentConfig, (id, timer) -> {
            FakeProcess process = new FakeProcess();
            processes.add(process);
            playOneVmWorker(process, Duration.ofMillis(150));
            return new WorkerHandle(id, process, agentConfig, timer);
        }, FAST, new Random(42));
        pools.add(pool);
        pool.start(SCRIPTS);

        long start = System.nanoTime();
        List<CompletableFuture<HookResult>> events = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            events.add(CompletableFuture.supplyAsync(() -> {
                try (WorkerLease lease = pool.acquire(Duration.ofSeconds(5))) {
                    return lease.call(call()).get(5, TimeUnit.SECONDS);
                } catch (Exception ex) {
                    throw new AssertionError(ex);
                }
            }));
        }
        for (CompletableFuture<HookResult> event : events) {
            assertTrue(event.get(10, TimeUnit.SECONDS).hasVerdict());
        }

        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(600), "the calls ran one after another");
        assertEquals(1, processes.size(), "no worker was killed and replaced");
        assertEquals(0, processes.get(0).sigkills.get());
        assertEquals(4, pool.snapshot().get(0).executions());
    }

    /**
     * Plays a worker with one Lua VM over {@code process}: ready at once, then answers calls one
     * after the other, each {@code work} after it was taken; echoes heartbeats, exits on Shutdown.
     */
    private static void playOneVmWorker(FakeProcess process, Duration work) {
        Thread.ofPlatform().daemon().name("fake-one-vm-worker").start(() -> {
            try {
                SupervisorMessage message;
                while ((message = process.received(Duration.ofSeconds(30))) != null) {
                    switch (message.getKindCase()) {
                        case INIT -> process.send(WorkerMessage.newBuilder().setReady(WorkerReady.newBuilder()
                                .setWorkerId(message.getInit().getWorkerId())).build());
                        case CALL -> {
                            TimeUnit.NANOSECONDS.sleep(work.toNanos());
                            process.send(WorkerMessage.newBuilder().setResult(FakeWorker.allow(message.getCall())
                                    .toBuilder().setCallId(message.getCall().getCallId())).build());
                        }
                        case HEARTBEAT -> process.send(WorkerMessage.newBuilder()
                                .setHeartbeat(message.getHeartbeat()).build());
                        case SHUTDOWN -> {
                            process.exit(0);
                            return;
                        }
                        case KIND_NOT_SET -> {
                        }
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the process was killed: nothing left to play
            }
        });
    }

    @Test
    void aLeaseCarriesOneCallAndItsVmGoesToTheLongestWaitingAcquireWhenTheCallCompletes() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready().answering(c -> null));
        WorkerPool pool = pool(workers(1), workers, FAST);
        pool.start(SCRIPTS);
        FakeWorker worker = workers.workers.get(0);
        WorkerLease first = pool.acquire(WAIT);
        first.call(call());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> first.call(call()));
        assertEquals("lease of worker-1 carries one call", e.getMessage());

        List<String> served = new CopyOnWriteArrayList<>();
        List<CompletableFuture<WorkerLease>> waiting = new ArrayList<>();
        for (String name : List.of("second", "third")) {
            waiting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    WorkerLease lease = pool.acquire(WAIT);
                    served.add(name);
                    return lease;
                } catch (NoWorkerException ex) {
                    throw new AssertionError(ex);
                }
            }));
            TimeUnit.MILLISECONDS.sleep(50); // "second" waits longer than "third"
        }
        assertTrue(served.isEmpty());

        worker.answer(FakeWorker.allow(call())); // first's holder has not closed its lease yet
        WorkerLease second = waiting.get(0).get(5, TimeUnit.SECONDS);
        TimeUnit.MILLISECONDS.sleep(50);
        assertEquals(List.of("second"), served, "one VM, one waiter served, the longest waiting");
        second.close();
        waiting.get(1).get(5, TimeUnit.SECONDS).close();
        first.close();

        assertEquals(List.of("second", "third"), served);
        assertEquals(1, worker.maxReserved());
        assertEquals(0, worker.inFlight());
    }

    @Test
    void anAsynchronousAcquireIsServedAtOnceWhenAVmIsFreeElseByTheThreadThatFreesOne() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready().answering(c -> null));
        WorkerPool pool = pool(workers(1), workers, FAST);
        pool.start(SCRIPTS);
        FakeWorker worker = workers.workers.get(0);

        CompletableFuture<WorkerLease> first = pool.acquireAsync(WAIT);
        assertTrue(first.isDone(), "the only VM was free");
        first.get().call(call());
        first.get().close();
        CompletableFuture<WorkerLease> blockedAcquire = CompletableFuture.supplyAsync(() -> {
            try {
                return pool.acquire(WAIT);
            } catch (NoWorkerException ex) {
                throw new AssertionError(ex);
            }
        });
        TimeUnit.MILLISECONDS.sleep(50); // the blocking acquire waits longer than the next one
        CompletableFuture<WorkerLease> second = pool.acquireAsync(WAIT);
        CompletableFuture<Thread> servedOn = second.thenApply(lease -> Thread.currentThread());
        assertFalse(second.isDone(), "the only VM is busy");

        Thread answering = new Thread(() -> worker.answer(FakeWorker.allow(call())), "answering");
        answering.start();
        answering.join();
        WorkerLease blocked = blockedAcquire.get(5, TimeUnit.SECONDS);
        assertFalse(second.isDone(), "first come, first served: the blocking acquire came first");
        blocked.close();

        assertSame(Thread.currentThread(), servedOn.get(5, TimeUnit.SECONDS),
                "completed by the thread that returned the VM, after the pool's lock was released");
        second.get().close();
        assertEquals(1, worker.maxReserved());
        assertEquals(0, worker.inFlight());
    }

    @Test
    void anAsynchronousAcquireFailsAfterItsTimeoutAndWhenThePoolCloses() throws Exception {
        OneVmHeld started = startedWithItsOneVmHeld();
        WorkerPool pool = started.pool();
        WorkerLease held = started.held();

        CompletableFuture<WorkerLease> timedOut = pool.acquireAsync(Duration.ofMillis(50));
        CompletableFuture<WorkerLease> closed = pool.acquireAsync(WAIT);
        ExecutionException late = assertThrows(ExecutionException.class, () -> timedOut.get(5, TimeUnit.SECONDS));
        pool.close();
        ExecutionException gone = assertThrows(ExecutionException.class, () -> closed.get(5, TimeUnit.SECONDS));

        NoWorkerException overloaded = (NoWorkerException) late.getCause();
        assertEquals(FailureCause.OVERLOADED, overloaded.failureCause());
        assertEquals("no free Lua VM within PT0.05S (1 of 1 busy on 1 ready workers, workers.vms-per-worker 1)",
                overloaded.getMessage());
        assertEquals("worker pool is closed", gone.getCause().getMessage());
        ExecutionException afterClose = assertThrows(ExecutionException.class,
                () -> pool.acquireAsync(WAIT).get(5, TimeUnit.SECONDS));
        assertEquals("worker pool is closed", afterClose.getCause().getMessage());
        held.close();
    }

    @Test
    void anAsynchronousAcquireGetsBackTheTimeThePoolsTimerStoodStill() throws Exception {
        OneVmHeld started = startedWithItsOneVmHeld();
        FakeWorkers workers = started.workers();
        WorkerPool pool = started.pool();
        WorkerLease held = started.held();

        CompletableFuture<WorkerLease> waiting = pool.acquireAsync(Duration.ofMillis(50));
        // the timer stands still 250 ms past the timeout, as in a collection pause or a SIGSTOP;
        // the VM is returned just after it resumes, as a worker's reader that stood still too would
        workers.timer.execute(() -> {
            try {
                TimeUnit.MILLISECONDS.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        TimeUnit.MILLISECONDS.sleep(350);
        assertFalse(waiting.isDone(), "expired although the timer stood still: " + waiting);
        held.close();

        waiting.get(5, TimeUnit.SECONDS).close();
    }

    @Test
    void leaseCallsItsWorkerAndClosingTwiceIsHarmless() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(1), workers, FAST);
        pool.start(SCRIPTS);

        WorkerLease lease = pool.acquire(WAIT);
        HookResult result = lease.call(call()).get(1, TimeUnit.SECONDS);
        lease.close();
        lease.close();

        assertTrue(result.hasVerdict());
        assertEquals(1, workers.workers.get(0).executions());
        assertEquals(0, workers.workers.get(0).inFlight());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> lease.call(call()));
        assertEquals("lease of worker-1 is closed", e.getMessage());
    }

    @Test
    void acquireWaitsForAReadyWorkerAndFailsFastAfterItsTimeout() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready()).then(FakeWorker.Behaviour.ready(),
                FakeWorker.Behaviour.holding());
        WorkerPool pool = pool(workers(1), workers, NO_EARLY_DEATHS);
        pool.start(SCRIPTS);

        workers.workers.get(0).crash(70);
        FakeWorker replacement = workers.awaitWorker(2, WAIT);
        NoWorkerException e = assertThrows(NoWorkerException.class, () -> pool.acquire(Duration.ofMillis(50)));
        assertEquals("no worker ready within PT0.05S (workers.count 1, 1 starting,"
                + " last exit: worker-1 - internal error (exit 70))", e.getMessage());

        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
            try (WorkerLease lease = pool.acquire(WAIT)) {
                return lease.workerId();
            } catch (NoWorkerException ex) {
                throw new AssertionError(ex);
            }
        });
        TimeUnit.MILLISECONDS.sleep(50);
        assertFalse(waiting.isDone());
        replacement.becomeReady();
        assertEquals(2, waiting.get(5, TimeUnit.SECONDS));
    }

    @Test
    void deadWorkerIsReplacedAtOnceAfterAHealthyLife() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(2), workers, NO_EARLY_DEATHS);
        pool.start(SCRIPTS);
        // workers start in parallel, so which slot worker-1 took is not fixed
        int slot = pool.snapshot().stream().filter(s -> s.id() == 1).findFirst().orElseThrow().slot();

        long before = System.nanoTime();
        workers.workers.stream().filter(w -> w.id() == 1).findFirst().orElseThrow().crash(134);
        FakeWorker replacement = readyWorker(workers, 3);

        assertTrue(workers.createdNanos.get(2) - before < TimeUnit.MILLISECONDS.toNanos(1000));
        assertEquals(new WorkerPool.CrashLoop(0, Duration.ZERO, null), pool.crashLoop());
        WorkerStatus status = pool.snapshot().stream().filter(s -> s.id() == 3).findFirst().orElseThrow();
        assertEquals(slot, status.slot());
        assertEquals(1, status.restarts());
        assertEquals("worker-1 - aborted, SIGABRT (exit 134)", status.lastExit());
        assertEquals(List.of(2, 3), pool.snapshot().stream().map(WorkerStatus::id).toList());
    }

    @Test
    void aReplacementThatLeftOutAScriptIsKilledAndRelaunchedInsteadOfServing() throws Exception {
        FakeWorker.Behaviour runsA = FakeWorker.Behaviour.ready().withHooks("a.lua", Hook.REQUEST_HEADERS);
        FakeWorker.Behaviour leftOutA = FakeWorker.Behaviour.ready().withProblems(List.of(ScriptProblem.newBuilder()
                .setFileName("a.lua").setReason("top-level code failed (TIME_LIMIT): script execution time in ms (101)"
                        + " exceeds the maximum allowed (100, from 'scripts.timeout')").build()));
        FakeWorkers workers = new FakeWorkers(runsA).then(runsA, runsA, leftOutA);
        WorkerPool pool = pool(workers(2), workers, FAST);
        pool.start(SCRIPTS);

        workers.workers.stream().filter(w -> w.id() == 1).findFirst().orElseThrow().crash(134);
        FakeWorker leftOut = workers.awaitWorker(3, WAIT);
        await("worker-3 killed", WAIT, () -> leftOut.state() == WorkerState.DEAD);
        assertEquals(List.of("it left out scripts its generation runs: a.lua left out (top-level code failed"
                + " (TIME_LIMIT): script execution time in ms (101) exceeds the maximum allowed (100, from"
                + " 'scripts.timeout'))"), leftOut.killReasons);
        assertEquals(0, leftOut.executions(), "it never served");
        readyWorker(workers, 4);
        assertEquals(List.of(2, 4), pool.snapshot().stream().map(WorkerStatus::id).toList());
        assertEquals(Set.of(2, 4), leasedWorkers(pool, 4));
    }

    @Test
    void aWorkerThatRunsAScriptTheEarlierOnesLeftOutIsTakenAndTheNextMustRunItToo() throws Exception {
        FakeWorker.Behaviour runsA = FakeWorker.Behaviour.ready().withHooks("a.lua", Hook.REQUEST_HEADERS);
        FakeWorker.Behaviour runsNothing = FakeWorker.Behaviour.ready();
        FakeWorkers workers = new FakeWorkers(runsA).then(runsNothing, runsA, runsNothing);
        WorkerPool pool = pool(workers(1), workers, NO_EARLY_DEATHS);
        pool.start(SCRIPTS);

        workers.workers.get(0).crash(134);
        FakeWorker second = readyWorker(workers, 2);
        assertEquals(List.of(), second.killReasons, "it runs more than worker-1: taken");
        second.crash(134);
        FakeWorker third = workers.awaitWorker(3, WAIT);
        await("worker-3 killed", WAIT, () -> third.state() == WorkerState.DEAD);
        assertEquals(List.of("it left out scripts its generation runs: a.lua left out"), third.killReasons);
        readyWorker(workers, 4);
        assertEquals(List.of(4), pool.snapshot().stream().map(WorkerStatus::id).toList());
    }

    @Test
    void workersDyingEarlyAreRelaunchedWithADoublingBackoffUpToTheCapThenItResets() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.failing(70)).then(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(1), workers, FAST);
        pool.start(SCRIPTS);

        workers.workers.get(0).crash(70);
        workers.awaitWorker(6, WAIT);
        workers.fallback(FakeWorker.Behaviour.ready());

        // deaths 1..5 delay the next launch by 20, 40, 80, 80, 80 ms
        long[] minimumGaps = {20, 40, 80, 80, 80};
        for (int i = 0; i < minimumGaps.length; i++) {
            long gap = workers.createdNanos.get(i + 1) - workers.createdNanos.get(i);
            assertTrue(gap >= TimeUnit.MILLISECONDS.toNanos(minimumGaps[i]),
                    "launch " + (i + 2) + " came " + gap / 1_000_000 + " ms after the previous one");
        }
        WorkerPool.CrashLoop loop = pool.crashLoop();
        assertTrue(loop.earlyDeaths() >= 5, loop.toString());
        assertEquals(Duration.ofMillis(80), loop.backoff());

        await("a worker ready again", WAIT, () -> pool.snapshot().stream().anyMatch(s -> s.state() == WorkerState.READY));
        await("crash loop reset after the healthy period", WAIT, () -> !pool.crashLoop().looping());
        assertEquals(Duration.ZERO, pool.crashLoop().backoff());
    }

    @Test
    void aWorkerThatCannotBeLaunchedIsRetriedWithBackoffAndReported() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(1), workers, FAST);
        pool.start(SCRIPTS);

        workers.failLaunches(true);
        workers.workers.get(0).crash(70);
        await("three failed launches", WAIT, () -> workers.createdNanos.size() >= 4);
        workers.failLaunches(false);
        FakeWorker replacement = readyWorker(workers, 2);

        WorkerStatus status = pool.snapshot().get(0);
        assertEquals(replacement.id(), status.id());
        assertTrue(status.restarts() >= 4, status.toString());
        assertTrue(status.lastExit().matches("worker-\\d+ - launch failed: Cannot run program \"/no/java\":"
                + " error=2, No such file or directory"), status.lastExit());
    }

    @Test
    void retirementStartsTheReplacementFirstSoCapacityNeverDrops() throws Exception {
        TestConfig config = workers(2);
        config.maxExecutions = 1000;
        FakeWorkers workers = readyThenHolding();
        WorkerPool pool = pool(config, workers, FAST);
        pool.start(SCRIPTS);
        FakeWorker old = workers.byId(1);
        long retireAt = pool.snapshot().get(0).retireAfterExecutions();
        assertTrue(retireAt >= 975 && retireAt <= 1000, "jittered point " + retireAt);

        old.addExecutions(retireAt - 1);
        // one more call on worker 1 reaches its retirement point
        while (old.executions() < retireAt) {
            try (WorkerLease lease = pool.acquire(WAIT)) {
                lease.call(call()).get(1, TimeUnit.SECONDS);
            }
        }
        FakeWorker replacement = workers.awaitWorker(3, WAIT);
        assertEquals(WorkerState.STARTING, replacement.state());

        // while the replacement starts, the old worker still serves: both workers take calls
        Set<Integer> served = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            try (WorkerLease lease = pool.acquire(Duration.ofMillis(100))) {
                served.add(lease.workerId());
                lease.call(call()).get(1, TimeUnit.SECONDS);
            }
        }
        assertEquals(Set.of(1, 2), served);
        assertTrue(old.retireReasons.isEmpty());
        assertEquals(3, workers.workers.size(), "one replacement only");

        WorkerLease held = pool.acquire(WAIT);
        int heldId = held.workerId();
        replacement.becomeReady();
        FakeWorker heldWorker = workers.byId(heldId);
        if (heldId == 1) {
            // the old worker is retired but keeps its lease until closed: the call is not dropped
            await("old worker retiring", WAIT, () -> old.state() == WorkerState.RETIRING);
            assertTrue(held.call(call()).get(1, TimeUnit.SECONDS).hasVerdict());
        }
        held.close();
        await("old worker exited", WAIT, () -> old.exit().isDone());
        assertEquals(List.of("replaced by worker-3"), old.retireReasons);
        assertEquals(new WorkerExitStatus(0, null, true), old.exit().get());
        assertTrue(heldWorker.inFlight() == 0);

        Set<Integer> after = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            try (WorkerLease lease = pool.acquire(WAIT)) {
                after.add(lease.workerId());
            }
        }
        assertEquals(Set.of(2, 3), after);
        WorkerStatus status = pool.snapshot().stream().filter(s -> s.id() == 3).findFirst().orElseThrow();
        assertEquals(0, status.restarts(), "a planned retirement is not a restart");
        assertEquals("worker-1 - retired (exit 0)", status.lastExit());
        assertEquals(new WorkerPool.CrashLoop(0, Duration.ZERO, null), pool.crashLoop());
    }

    @Test
    void retirementPointsAreJitteredByUpToTwoAndAHalfPercent() throws Exception {
        TestConfig config = workers(16);
        config.maxExecutions = 10_000;
        WorkerPool pool = pool(config, new FakeWorkers(FakeWorker.Behaviour.ready()), FAST);
        pool.start(SCRIPTS);

        Set<Long> points = new HashSet<>();
        for (WorkerStatus status : pool.snapshot()) {
            assertTrue(status.retireAfterExecutions() >= 9750 && status.retireAfterExecutions() <= 10_000,
                    status.toString());
            points.add(status.retireAfterExecutions());
        }
        assertTrue(points.size() > 8, "retirement points spread: " + points);
    }

    @Test
    void workerIsReplacedAfterItsMaximumAge() throws Exception {
        TestConfig config = workers(1);
        config.maxAge = Duration.ofSeconds(1);
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(config, workers, FAST);
        pool.start(SCRIPTS);
        FakeWorker old = workers.workers.get(0);

        FakeWorker replacement = workers.awaitWorker(2, WAIT);
        await("old worker retired", WAIT, () -> old.exit().isDone());

        assertTrue(System.nanoTime() - workers.createdNanos.get(0) >= TimeUnit.MILLISECONDS.toNanos(975));
        assertEquals(List.of("replaced by worker-2"), old.retireReasons);
        assertEquals(WorkerState.READY, replacement.state());
        try (WorkerLease lease = pool.acquire(WAIT)) {
            assertEquals(2, lease.workerId());
        }
    }

    private static TestConfig withStandby(int count, int standby) {
        TestConfig config = workers(count);
        config.standby = standby;
        return config;
    }

    /** Workers that start ready (the first and the next two), then one that waits until a test makes it ready. */
    private static FakeWorkers readyThenHolding() {
        return new FakeWorkers(FakeWorker.Behaviour.ready())
                .then(FakeWorker.Behaviour.ready(), FakeWorker.Behaviour.ready(), FakeWorker.Behaviour.holding());
    }

    /** The worker's status, once the pool has registered it (a launch creates the worker first). */
    private static WorkerStatus statusOf(WorkerPool pool, int id) throws InterruptedException {
        await("worker-" + id + " in the pool", WAIT, () -> pool.snapshot().stream().anyMatch(s -> s.id() == id));
        return pool.snapshot().stream().filter(s -> s.id() == id).findFirst().orElseThrow();
    }

    private static FakeWorker readyWorker(FakeWorkers workers, int id) throws InterruptedException {
        FakeWorker worker = workers.awaitWorker(id, WAIT);
        await("worker-" + id + " ready", WAIT, () -> worker.state() == WorkerState.READY);
        return worker;
    }

    private static Set<Integer> leasedWorkers(WorkerPool pool, int leases) throws Exception {
        Set<Integer> ids = new HashSet<>();
        for (int i = 0; i < leases; i++) {
            try (WorkerLease lease = pool.acquire(WAIT)) {
                ids.add(lease.workerId());
            }
        }
        return ids;
    }

    /** A started pool of one worker with one Lua VM, which the test holds. */
    private record OneVmHeld(WorkerPool pool, FakeWorkers workers, WorkerLease held) {
    }

    private OneVmHeld startedWithItsOneVmHeld() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(1), workers, FAST);
        pool.start(SCRIPTS);
        return new OneVmHeld(pool, workers, pool.acquire(WAIT));
    }

    /** A started pool of two workers and one standby (worker-3), ready. */
    private record StandbyPool(WorkerPool pool, FakeWorkers workers, FakeWorker standby) {
    }

    private StandbyPool startedWithReadyStandby(WorkerPool.Tuning tuning) throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(withStandby(2, 1), workers, tuning);
        pool.start(SCRIPTS);
        return new StandbyPool(pool, workers, readyWorker(workers, 3));
    }

    @Test
    void standbysStartOnceThePoolServesAndTakeNoCalls() throws Exception {
        StandbyPool started = startedWithReadyStandby(FAST);
        WorkerPool pool = started.pool();
        FakeWorker standby = started.standby();
        WorkerStatus status = statusOf(pool, 3);
        assertTrue(status.standby());
        assertEquals(2, status.slot(), "standbys are numbered after the serving slots");
        assertEquals(Set.of(1, 2), leasedWorkers(pool, 20));
        assertEquals(0, standby.executions());
        assertEquals(List.of(false, false, true), pool.snapshot().stream().map(WorkerStatus::standby).toList());
    }

    @Test
    void aServingWorkerThatDiesHandsItsSlotToTheReadyStandbyAndANewStandbyStarts() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready())
                .then(FakeWorker.Behaviour.ready(), FakeWorker.Behaviour.ready(), FakeWorker.Behaviour.ready(),
                        FakeWorker.Behaviour.holding());
        WorkerPool pool = pool(withStandby(2, 1), workers, NO_EARLY_DEATHS);
        pool.start(SCRIPTS);
        FakeWorker standby = readyWorker(workers, 3);
        int slot = statusOf(pool, 1).slot();

        workers.byId(1).crash(137);

        // the next standby (worker-4) never gets ready here: the slot is served by worker-3 alone
        FakeWorker next = workers.awaitWorker(4, WAIT);
        await("worker-3 serves", WAIT, () -> pool.snapshot().stream().anyMatch(s -> s.id() == 3 && !s.standby()));
        WorkerStatus taken = statusOf(pool, 3);
        assertEquals(slot, taken.slot());
        assertEquals(1, taken.restarts());
        assertEquals("worker-1 - killed by SIGKILL (exit 137)", taken.lastExit());
        assertEquals(WorkerState.STARTING, next.state());
        assertTrue(statusOf(pool, 4).standby());
        assertEquals(2, statusOf(pool, 4).slot());
        assertEquals(Set.of(2, 3), leasedWorkers(pool, 20));
        assertEquals(4, workers.workers.size(), "no worker launched into the slot itself");

        next.becomeReady();
        await("new standby ready", WAIT, () -> next.state() == WorkerState.READY);
        assertEquals(Set.of(2, 3), leasedWorkers(pool, 20));
    }

    @Test
    void aWorkerDueToRetireHandsItsSlotToTheStandbyAndRetiresSoftly() throws Exception {
        TestConfig config = withStandby(1, 1);
        config.maxExecutions = 1000;
        FakeWorkers workers = readyThenHolding();
        WorkerPool pool = pool(config, workers, FAST);
        pool.start(SCRIPTS);
        FakeWorker old = workers.byId(1);
        FakeWorker standby = readyWorker(workers, 2);

        old.addExecutions(statusOf(pool, 1).retireAfterExecutions() - 1);
        WorkerLease held = pool.acquire(WAIT);
        assertEquals(1, held.workerId());
        assertTrue(held.call(call()).get(1, TimeUnit.SECONDS).hasVerdict());
        // the call that reached the retirement point hands the slot over when its lease ends
        held.close();

        await("old worker exited", WAIT, () -> old.exit().isDone());
        assertEquals(List.of("replaced by standby worker-2"), old.retireReasons);
        assertEquals(new WorkerExitStatus(0, null, true), old.exit().get());
        assertFalse(statusOf(pool, 2).standby());
        assertEquals(0, statusOf(pool, 2).restarts(), "a planned retirement is not a restart");
        assertEquals(Set.of(2), leasedWorkers(pool, 5));
        assertTrue(statusOf(pool, 3).standby());
        assertEquals(3, workers.workers.size());
    }

    @Test
    void aStandbysMaximumAgeCountsFromWhenItTakesOver() throws Exception {
        TestConfig config = withStandby(1, 1);
        config.maxAge = Duration.ofSeconds(1);
        FakeWorkers workers = readyThenHolding();
        WorkerPool pool = pool(config, workers, FAST);
        pool.start(SCRIPTS);
        FakeWorker standby = workers.awaitWorker(2, WAIT);

        // worker-1 reaches its age about 1 s after start; worker-2, as old, takes over its slot
        await("worker-2 serves", WAIT, () -> workers.byId(1).exit().isDone());
        assertFalse(statusOf(pool, 2).standby());
        Thread.sleep(300); // 15 rounds of housekeeping: counted from its launch, worker-2 would be due
        assertEquals(List.of(), standby.retireReasons);
        assertEquals(WorkerState.READY, standby.state());
    }

    @Test
    void aStandbyThatDiesIsRelaunchedWhileTheServingWorkersCarryOn() throws Exception {
        StandbyPool started = startedWithReadyStandby(NO_EARLY_DEATHS);
        WorkerPool pool = started.pool();
        FakeWorkers workers = started.workers();
        FakeWorker standby = started.standby();

        standby.crash(134);

        readyWorker(workers, 4); // the relaunched standby
        WorkerStatus status = statusOf(pool, 4);
        assertTrue(status.standby());
        assertEquals(1, status.restarts());
        assertEquals("worker-3 - aborted, SIGABRT (exit 134)", status.lastExit());
        assertEquals(Set.of(1, 2), leasedWorkers(pool, 20));
    }

    @Test
    void reloadStartsTheNewGenerationsStandbyAndRetiresTheOldOne() throws Exception {
        StandbyPool started = startedWithReadyStandby(FAST);
        WorkerPool pool = started.pool();
        FakeWorkers workers = started.workers();
        FakeWorker oldStandby = started.standby();

        assertTrue(pool.reload(NEW_SCRIPTS).accepted());

        await("old standby exited", WAIT, () -> oldStandby.exit().isDone());
        assertEquals(List.of("replaced by generation 2"), oldStandby.retireReasons);
        FakeWorker newStandby = readyWorker(workers, 6);
        assertEquals("b.lua", newStandby.init().getScripts(0).getFileName());
        WorkerStatus status = statusOf(pool, 6);
        assertTrue(status.standby());
        assertEquals(2, status.generation());
        assertEquals(Set.of(4, 5), leasedWorkers(pool, 20));
    }

    @Test
    void reloadWithHealthyWorkersSwapsGenerationsAndRetiresTheOldOne() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(2), workers, FAST);
        pool.start(SCRIPTS);

        WorkerReady before = pool.currentReady();
        workers.then(FakeWorker.Behaviour.ready().withHooks("b.lua", Hook.RESPONSE_HEADERS),
                FakeWorker.Behaviour.ready().withHooks("b.lua", Hook.RESPONSE_HEADERS));

        ReloadResult result = pool.reload(NEW_SCRIPTS);

        assertNotSame(before, pool.currentReady());
        assertEquals(List.of(Hook.RESPONSE_HEADERS), pool.currentReady().getScripts(0).getHooksList());
        assertTrue(result.accepted(), result.summary());
        assertEquals("reload accepted: 1 scripts", result.summary());
        assertEquals(2, pool.generation());
        await("old generation exited", WAIT, () -> workers.workers.get(0).exit().isDone()
                && workers.workers.get(1).exit().isDone());
        assertEquals(List.of("replaced by generation 2"), workers.workers.get(0).retireReasons);
        for (int i = 0; i < 4; i++) {
            try (WorkerLease lease = pool.acquire(WAIT)) {
                assertTrue(lease.workerId() == 3 || lease.workerId() == 4);
                assertEquals("b.lua", workers.byId(lease.workerId()).init().getScripts(0).getFileName());
            }
        }
        assertEquals(List.of(3, 4), pool.snapshot().stream().map(WorkerStatus::id).toList());
        assertTrue(pool.snapshot().stream().allMatch(s -> s.generation() == 2));
    }

    @Test
    void reloadWhoseWorkersReportScriptProblemsIsRejectedAndTheOldGenerationStays() throws Exception {
        ScriptProblem problem = ScriptProblem.newBuilder().setFileName("b.lua").setLine(3)
                .setReason("'=' expected near 'x'").build();
        FakeWorker.Behaviour withProblem = FakeWorker.Behaviour.ready().withProblems(List.of(problem));
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(2), workers, FAST);
        pool.start(SCRIPTS);
        workers.then(withProblem, withProblem);
        WorkerReady before = pool.currentReady();

        ReloadResult result = pool.reload(NEW_SCRIPTS);

        assertSame(before, pool.currentReady(), "the old scripts still serve");
        assertFalse(result.accepted());
        assertEquals(List.of(problem), result.problems());
        assertEquals("reload rejected, previous scripts stay: b.lua:3: '=' expected near 'x'", result.summary());
        assertEquals(1, pool.generation());
        await("new workers stopped", WAIT, () -> workers.workers.get(2).exit().isDone()
                && workers.workers.get(3).exit().isDone());
        assertEquals(List.of("reload rejected"), workers.workers.get(2).retireReasons);
        assertTrue(workers.workers.get(0).retireReasons.isEmpty());
        try (WorkerLease lease = pool.acquire(WAIT)) {
            assertTrue(lease.workerId() <= 2);
        }
        assertEquals(List.of(1, 2), pool.snapshot().stream().map(WorkerStatus::id).toList());
    }

    @Test
    void reloadIsRejectedWhenANewWorkerFailsToStart() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(2), workers, FAST);
        pool.start(SCRIPTS);
        workers.then(FakeWorker.Behaviour.ready(), FakeWorker.Behaviour.failing(78));

        ReloadResult result = pool.reload(NEW_SCRIPTS);

        assertFalse(result.accepted());
        // the two new workers launch in parallel, so either may be the one that took "failing"
        assertEquals(1, result.failures().size(), result.failures().toString());
        String failure = result.failures().getFirst();
        assertTrue(failure.matches("worker-[34] - script set invalid \\(exit 78\\)"), failure);
        assertEquals("reload rejected, previous scripts stay: " + failure, result.summary());
        assertEquals(1, pool.generation());
        await("new workers stopped", WAIT, () -> workers.workers.get(2).exit().isDone()
                && workers.workers.get(3).exit().isDone());
        assertEquals(new WorkerPool.CrashLoop(0, Duration.ZERO, null), pool.crashLoop(), "a rejected reload is no crash loop");
        assertEquals(4, workers.workers.size(), "nothing relaunched for a rejected generation");
        assertEquals(List.of(1, 2), pool.snapshot().stream().map(WorkerStatus::id).toList());
    }

    @Test
    void killByIdEndsTheWorkerWhichIsThenReplaced() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(1), workers, NO_EARLY_DEATHS);
        pool.start(SCRIPTS);

        assertTrue(pool.kill(1, "memory breach: rss 300 MiB > workers.memory-bytes"));
        assertFalse(pool.kill(99, "no such worker"));

        FakeWorker replacement = readyWorker(workers, 2);
        WorkerStatus status = pool.snapshot().get(0);
        assertEquals("worker-1 - killed: memory breach: rss 300 MiB > workers.memory-bytes"
                + " (killed by SIGKILL (exit 137))", status.lastExit());
    }

    @Test
    void closeRetiresEveryWorkerAndRefusesLeases() throws Exception {
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready());
        WorkerPool pool = pool(workers(3), workers, FAST);
        pool.start(SCRIPTS);

        pool.close();
        pool.close();

        for (FakeWorker worker : workers.workers) {
            assertEquals(List.of("pool closing"), worker.retireReasons);
            assertEquals(new WorkerExitStatus(0, null, true), worker.exit().get());
        }
        NoWorkerException e = assertThrows(NoWorkerException.class, () -> pool.acquire(Duration.ofMillis(10)));
        assertEquals("worker pool is closed", e.getMessage());
        assertTrue(pool.snapshot().isEmpty());
        assertEquals(3, workers.workers.size(), "no replacement after close");
    }

    @Test
    void closeKillsAWorkerThatDoesNotExitAfterRetiring() throws Exception {
        TestConfig config = workers(1);
        config.maxExecutionTime = Duration.ofMillis(10);
        config.killGrace = Duration.ZERO;
        FakeWorkers workers = new FakeWorkers(FakeWorker.Behaviour.ready()
                .answering(c -> null));
        WorkerPool pool = pool(config, workers, FAST);
        pool.start(SCRIPTS);
        WorkerLease stuck = pool.acquire(WAIT);
        CompletableFuture<HookResult> call = stuck.call(call());

        pool.close();

        FakeWorker worker = workers.workers.get(0);
        assertEquals(List.of("pool closing"), worker.retireReasons);
        assertEquals(List.of("still alive PT1.01S after the pool closed"), worker.killReasons);
        assertEquals(new WorkerExitStatus(137, "still alive PT1.01S after the pool closed", true), worker.exit().get());
        ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(1, TimeUnit.SECONDS));
        assertEquals(FailureCause.WORKER_KILLED, ((WorkerGoneException) e.getCause()).failureCause());
    }
}
