package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.WorkerInit;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * One worker as the pool sees it: {@link WorkerHandle} over a real process, or a hand-written
 * fake in tests.
 *
 * <p>Calls are made under a <em>reservation</em>: {@link #tryReserve()} takes one (only a
 * {@link WorkerState#READY} worker grants it, and at most {@link #capacity()} at a time),
 * {@link #release()} returns it. One reservation is one Lua VM: a worker never holds more calls
 * than it has VMs, so a call never waits in the worker's queue and its hard deadline measures its
 * own execution. A retiring worker sends {@code Shutdown} only once every reservation is
 * returned, so a leased call is never cut off by a retirement. All methods are thread-safe and
 * do not block.
 */
public interface WorkerChannel {

    /** The worker's id, unique within the supervisor; its logger is {@code worker-<id>}. */
    int id();

    /** The process id, or -1 when there is none (yet). */
    long pid();

    /** When the process was launched. */
    Instant startedAt();

    WorkerState state();

    /**
     * Sends the init frame. The future completes with the worker's {@code WorkerReady}, or
     * exceptionally with a {@link WorkerGoneException} when the worker exits or does not get
     * ready within workers.start-timeout (it is then killed). Called once.
     */
    CompletableFuture<WorkerReady> start(WorkerInit init);

    /**
     * The worker's Lua VMs ({@code WorkerInit.vm_count}, from workers.vms-per-worker): how many
     * calls it runs at once, and how many reservations it grants. 0 before {@link #start}.
     */
    int capacity();

    /**
     * Takes a reservation for one call; {@code false} unless the worker is READY and fewer than
     * {@link #capacity()} reservations are held.
     */
    boolean tryReserve();

    /** Returns a reservation taken with {@link #tryReserve()}. */
    void release();

    /**
     * Sends a call (its {@code call_id} is replaced by the worker's own); one call per
     * reservation. The future always completes: with the result, or exceptionally with a
     * {@link WorkerGoneException} when the worker exits or overruns the call's hard deadline (it
     * is then killed).
     */
    CompletableFuture<HookResult> call(HookCall call);

    /** Reservations held: calls in flight or about to be made. */
    int inFlight();

    /** Calls answered so far. */
    long executions();

    /**
     * Soft stop: take no new reservations, send {@code Shutdown} once all are returned, kill the
     * process if it has not exited after a grace. Idempotent.
     */
    void retire(String reason);

    /** Hard stop now; {@code reason} is logged as {@code killed: <reason>}. Idempotent. */
    void kill(String reason);

    /** Completes once, when the process has exited (never exceptionally). */
    CompletableFuture<WorkerExitStatus> exit();
}
