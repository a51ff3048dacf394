package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.ScriptInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import io.zentinel.sentinel.lua.protocol.v1.WorkerInit;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * A hand-written {@link WorkerChannel} without a process. Its behaviour is fixed at creation
 * ({@link Behaviour}); tests drive the rest: {@link #becomeReady()}, {@link #crash(int)},
 * {@link #answer(HookResult)}. Like a real worker it has {@code WorkerInit.vm_count} Lua VMs and
 * grants at most that many reservations. Retiring exits with status 0 once the reservations are
 * returned, as a real worker does after {@code Shutdown}. No static state.
 */
final class FakeWorker implements WorkerChannel {

    enum Start { READY, FAIL, HOLD }

    /**
     * @param start     READY: ready as soon as started; FAIL: exits with {@code failExit} instead;
     *                  HOLD: waits for {@link #becomeReady()} or {@link #crash(int)}
     * @param problems  script problems reported in {@code WorkerReady}
     * @param scripts   scripts (with their hooks) reported in {@code WorkerReady}
     * @param responder answers each call; {@code null} from it keeps the call pending for {@link #answer}
     */
    record Behaviour(Start start, int failExit, List<ScriptProblem> problems, List<ScriptInfo> scripts,
                     Function<HookCall, HookResult> responder) {
        static Behaviour ready() {
            return new Behaviour(Start.READY, 0, List.of(), List.of(), FakeWorker::allow);
        }

        static Behaviour failing(int exit) {
            return new Behaviour(Start.FAIL, exit, List.of(), List.of(), FakeWorker::allow);
        }

        static Behaviour holding() {
            return new Behaviour(Start.HOLD, 0, List.of(), List.of(), FakeWorker::allow);
        }

        Behaviour withProblems(List<ScriptProblem> newProblems) {
            return new Behaviour(start, failExit, newProblems, scripts, responder);
        }

        /** Reports one script {@code name} with these hooks. */
        Behaviour withHooks(String name, Hook... hooks) {
            return new Behaviour(start, failExit, problems, List.of(ScriptInfo.newBuilder().setFileName(name)
                    .setName(name).addAllHooks(List.of(hooks)).build()), responder);
        }

        Behaviour answering(Function<HookCall, HookResult> newResponder) {
            return new Behaviour(start, failExit, problems, scripts, newResponder);
        }
    }

    static HookResult allow(HookCall call) {
        return HookResult.newBuilder().setVerdict(Verdict.newBuilder().setAction(io.zentinel.sentinel.lua.protocol.v1.Action.ALLOW)).build();
    }

    private final int id;
    private final Behaviour behaviour;
    private final Instant startedAt = Instant.now();
    private final ReentrantLock lock = new ReentrantLock();
    private final CompletableFuture<WorkerReady> ready = new CompletableFuture<>();
    private final CompletableFuture<WorkerExitStatus> exit = new CompletableFuture<>();
    private final AtomicLong executions = new AtomicLong();
    final List<HookCall> calls = new CopyOnWriteArrayList<>();
    final List<String> retireReasons = new CopyOnWriteArrayList<>();
    final List<String> killReasons = new CopyOnWriteArrayList<>();
    private final List<CompletableFuture<HookResult>> pending = new ArrayList<>();
    private volatile WorkerInit init;
    private WorkerState state = WorkerState.STARTING;
    private int reserved;
    private int maxReserved;
    private int capacity;
    private boolean retired;

    FakeWorker(int id, Behaviour behaviour) {
        this.id = id;
        this.behaviour = behaviour;
    }

    WorkerInit init() {
        return init;
    }

    int maxReserved() {
        lock.lock();
        try {
            return maxReserved;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public long pid() {
        return 10_000 + id;
    }

    @Override
    public Instant startedAt() {
        return startedAt;
    }

    @Override
    public WorkerState state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public CompletableFuture<WorkerReady> start(WorkerInit workerInit) {
        this.init = workerInit;
        lock.lock();
        try {
            capacity = workerInit.getVmCount();
        } finally {
            lock.unlock();
        }
        switch (behaviour.start()) {
            case READY -> becomeReady();
            case FAIL -> crash(behaviour.failExit());
            case HOLD -> {
            }
        }
        return ready;
    }

    /** Reports ready (with the behaviour's problems), unless the worker is no longer starting. */
    void becomeReady() {
        lock.lock();
        try {
            if (state != WorkerState.STARTING) {
                return;
            }
            state = WorkerState.READY;
        } finally {
            lock.unlock();
        }
        ready.complete(WorkerReady.newBuilder().setWorkerId(id).addAllScripts(behaviour.scripts())
                .addAllProblems(behaviour.problems()).build());
    }

    @Override
    public boolean tryReserve() {
        lock.lock();
        try {
            if (state != WorkerState.READY || reserved >= capacity) {
                return false;
            }
            reserved++;
            maxReserved = Math.max(maxReserved, reserved);
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void release() {
        boolean shutdown;
        lock.lock();
        try {
            if (reserved == 0) {
                throw new IllegalStateException("release without reservation");
            }
            reserved--;
            shutdown = reserved == 0 && state == WorkerState.RETIRING;
        } finally {
            lock.unlock();
        }
        if (shutdown) {
            end(0, null);
        }
    }

    @Override
    public CompletableFuture<HookResult> call(HookCall call) {
        calls.add(call);
        if (exit.isDone()) {
            return CompletableFuture.failedFuture(new WorkerGoneException(FailureCause.WORKER_CRASHED, "worker-" + id + " - gone"));
        }
        HookResult result = behaviour.responder().apply(call);
        if (result != null) {
            executions.incrementAndGet();
            return CompletableFuture.completedFuture(result.toBuilder().setCallId(call.getCallId()).build());
        }
        CompletableFuture<HookResult> future = new CompletableFuture<>();
        lock.lock();
        try {
            pending.add(future);
        } finally {
            lock.unlock();
        }
        return future;
    }

    /** Completes the oldest pending call. */
    void answer(HookResult result) {
        CompletableFuture<HookResult> future;
        lock.lock();
        try {
            future = pending.remove(0);
        } finally {
            lock.unlock();
        }
        executions.incrementAndGet();
        future.complete(result);
    }

    int pendingCalls() {
        lock.lock();
        try {
            return pending.size();
        } finally {
            lock.unlock();
        }
    }

    /** Adds executions as if calls had been answered. */
    void addExecutions(long n) {
        executions.addAndGet(n);
    }

    @Override
    public int capacity() {
        lock.lock();
        try {
            return capacity;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int inFlight() {
        lock.lock();
        try {
            return reserved;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long executions() {
        return executions.get();
    }

    @Override
    public void retire(String reason) {
        retireReasons.add(reason);
        boolean now;
        lock.lock();
        try {
            if (state == WorkerState.DEAD || retired) {
                return;
            }
            retired = true;
            state = WorkerState.RETIRING;
            now = reserved == 0;
        } finally {
            lock.unlock();
        }
        if (now) {
            end(0, null);
        }
    }

    @Override
    public void kill(String reason) {
        killReasons.add(reason);
        end(137, reason);
    }

    /** The process "exits" with {@code status} on its own. */
    void crash(int status) {
        end(status, null);
    }

    boolean retired() {
        lock.lock();
        try {
            return retired;
        } finally {
            lock.unlock();
        }
    }

    private void end(int status, String killReason) {
        List<CompletableFuture<HookResult>> failed;
        boolean wasRetired;
        lock.lock();
        try {
            if (state == WorkerState.DEAD) {
                return;
            }
            state = WorkerState.DEAD;
            failed = new ArrayList<>(pending);
            pending.clear();
            wasRetired = retired;
        } finally {
            lock.unlock();
        }
        WorkerExitStatus status1 = new WorkerExitStatus(status, killReason, wasRetired);
        WorkerGoneException gone = new WorkerGoneException(
                killReason != null ? FailureCause.WORKER_KILLED : FailureCause.WORKER_CRASHED,
                "worker-" + id + " - " + status1.describe());
        failed.forEach(f -> f.completeExceptionally(gone));
        ready.completeExceptionally(gone);
        exit.complete(status1);
    }

    @Override
    public CompletableFuture<WorkerExitStatus> exit() {
        return exit;
    }

    @Override
    public String toString() {
        return "FakeWorker[" + id + ", " + state() + "]";
    }
}
