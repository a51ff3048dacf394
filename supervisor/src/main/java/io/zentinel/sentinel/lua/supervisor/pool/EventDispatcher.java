package io.zentinel.sentinel.lua.supervisor.pool;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.zentinel.sentinel.lua.protocol.v1.BodyChunk;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ResponseInfo;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.pool.TransactionStore.BodyProgress;
import io.zentinel.sentinel.lua.supervisor.pool.TransactionStore.Direction;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentEvent;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse;
import io.zentinel.sentinel.lua.supervisor.proxy.EventHandler;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers proxy events: {@link AgentEvent} -> {@code HookCall} -> {@link WorkerPool} ->
 * {@link DecisionPolicy} -> {@link AgentResponse}.
 *
 * <ul>
 * <li><b>Backpressure</b>: at most safety.max-concurrent events are handled at once; one more
 *     gets the failure-mode decision at once (cause {@code overloaded}).</li>
 * <li><b>Transactions</b>: the {@link TransactionStore} carries the request into later phases,
 *     the ctx from call to call, and body chunks until the last one (over scripts.max-body-bytes:
 *     cause {@code body-limit}). A body event of a phase no loaded script hooks is allowed without
 *     a worker call, whatever the body's size. State is kept only when a later call can use it: the request
 *     and response only while the loaded scripts ({@link WorkerPool#currentReady()}) hook a later
 *     phase, the ctx only when the worker returned {@code ctx_changed} and a later phase is
 *     hooked. A proxy sends response events only when configured for them, so a store that
 *     waited for them would fill up with transactions that never end.</li>
 * <li><b>Time</b>: a free Lua VM is awaited for one call deadline, resource-limits.max-execution-time
 *     + workers.kill-grace (the acquire timeout): every running call ends by then, in time or by
 *     the kill of its worker, so an event that waited that long finds the agent overloaded (cause
 *     {@code overloaded}, "no free Lua VM"), or without a ready worker (cause {@code no-worker}).
 *     A shorter wait would shed load that the proxy, whose per-call timeout is usually far
 *     longer than a script's budget, is still waiting for. The call itself is bounded by the same
 *     hard deadline, which starts when the call is sent, and so on a free VM. An event thus takes
 *     at most 2 x (max-execution-time + kill-grace).</li>
 * <li>Unhandled events are allowed without a worker call; malformed ones get the failure mode.</li>
 * </ul>
 *
 * <p>{@link #handleAsync} is the hot path: called on the connection's reader thread, it sends the
 * call when a Lua VM is free at once and answers on the worker's reader thread; {@link #handle}
 * blocks. Neither throws. Log lines per event are DEBUG, except
 * failure-mode decisions: each one is logged at WARN with its script, cause and, for a limit,
 * the figures, repeats collapsed per (script, cause) to one line per 10 s that counts them
 * ({@link FailureLog}), and counted per cause and per script ({@link DispatchCounters}).
 */
public final class EventDispatcher implements EventHandler, AutoCloseable {
    /** Type byte of a WebSocketFrame event, answered with {@code websocket_decision: "allow"}. */
    static final int WEBSOCKET_FRAME = 0x15;

    private static final Logger LOG = LoggerFactory.getLogger(EventDispatcher.class);

    private final WorkerPool pool;
    private final DecisionPolicy policy;
    private final TransactionStore store;
    private final DispatchCounters counters = new DispatchCounters();
    private final FailureLog failureLog = new FailureLog(LOG, System::nanoTime);
    private final Semaphore permits;
    private final int maxConcurrent;
    private final Duration acquireTimeout;
    private final Duration resultTimeout;
    private final long maxCtxBytes;
    private final ScheduledExecutorService sweeper;

    /** What the serving scripts hook; re-read when the pool's {@code WorkerReady} changes (a reload). */
    private volatile LoadedHooks hooks = LoadedHooks.UNKNOWN;

    /** A dispatcher with the policy of safety.fail-open and a store from the configuration. */
    public EventDispatcher(AgentConfig config, WorkerPool pool) {
        this(config, pool, new DecisionPolicy(config.safety()), new TransactionStore(config));
    }

    /**
     * Also starts a platform daemon thread {@code transaction-sweeper} that expires idle
     * transactions every {@link TransactionStore#sweepInterval()} and reports collapsed failure
     * log lines every {@link FailureLog#FLUSH_INTERVAL}; {@link #close()} stops it.
     */
    public EventDispatcher(AgentConfig config, WorkerPool pool, DecisionPolicy policy, TransactionStore store) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.store = Objects.requireNonNull(store, "store");
        this.maxConcurrent = config.safety().maxConcurrent();
        this.permits = new Semaphore(maxConcurrent);
        // waiting for a free Lua VM: one call deadline (see the class comment)
        this.acquireTimeout = config.limits().maxExecutionTime().plus(config.workers().killGrace());
        // the worker's own deadline fails the call first; this only guards against a lost future
        this.resultTimeout = config.limits().maxExecutionTime().plus(config.workers().killGrace()).plusSeconds(1);
        this.maxCtxBytes = config.limits().maxCtxBytes();
        this.sweeper = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("transaction-sweeper").factory());
        long interval = store.sweepInterval().toNanos();
        sweeper.scheduleWithFixedDelay(this::sweep, interval, interval, TimeUnit.NANOSECONDS);
        long flush = FailureLog.FLUSH_INTERVAL.toNanos(); // repeats collapsed in a window that has ended
        sweeper.scheduleWithFixedDelay(failureLog::flush, flush, flush, TimeUnit.NANOSECONDS);
    }

    public DispatchCounters counters() {
        return counters;
    }

    /** Events being handled right now. */
    public int inFlight() {
        return maxConcurrent - permits.availablePermits();
    }

    /** What an event needs after its preparation: an answer at once, or a call to a worker. */
    private sealed interface Step permits Answered, Calling {
    }

    private record Answered(AgentResponse response) implements Step {
    }

    /** A changed ctx is kept when {@code loaded} hooks a later phase, or this one again when {@code moreChunks}. */
    private record Calling(String id, LoadedHooks loaded, boolean moreChunks, HookCall call) implements Step {
    }

    /** Answers on the calling thread, waiting for a free Lua VM and for the worker's result. */
    @Override
    public AgentResponse handle(AgentEvent event) {
        return switch (prepare(event)) {
            case Answered a -> a.response();
            case Calling c -> callBlocking(c);
        };
    }

    /**
     * Answers without blocking any thread: the call is sent at once when a Lua VM is free, else
     * by the thread that frees one, and the result becomes the answer on the worker's reader
     * thread. Never {@code null}; the future never completes exceptionally.
     */
    @Override
    public CompletableFuture<AgentResponse> handleAsync(AgentEvent event) {
        Step step = prepare(event);
        if (step instanceof Answered a) {
            return CompletableFuture.completedFuture(a.response());
        }
        Calling c = (Calling) step;
        if (!permits.tryAcquire()) {
            return CompletableFuture.completedFuture(overloaded(c.id()));
        }
        CompletableFuture<WorkerLease> leased;
        try {
            leased = pool.acquireAsync(acquireTimeout);
        } catch (RuntimeException e) {
            permits.release();
            return CompletableFuture.completedFuture(failed(c, e));
        }
        CompletableFuture<AgentResponse> answer = new CompletableFuture<>();
        leased.whenComplete((lease, failure) -> {
            try {
                if (failure != null) {
                    permits.release();
                    answer.complete(failure instanceof NoWorkerException e
                            ? fail(c.id(), e.failureCause(), e.getMessage()) : failed(c, failure));
                } else {
                    callAsync(c, lease).whenComplete((response, t) -> answer.complete(t == null ? response
                            : failed(c, t)));
                }
            } catch (RuntimeException e) {
                answer.completeExceptionally(e); // the connection answers with its fallback
            }
        });
        return answer;
    }

    private Step prepare(AgentEvent event) {
        String id = event.correlationId() == null ? "" : event.correlationId();
        try {
            return switch (event) {
                case AgentEvent.RequestHeaders e -> requestHeaders(id, e);
                case AgentEvent.RequestBodyChunk e -> bodyChunk(id, Direction.REQUEST, e.data(), e.chunkIndex(),
                        e.isLast());
                case AgentEvent.ResponseHeaders e -> responseHeaders(id, e);
                case AgentEvent.ResponseBodyChunk e -> responseBody(id, e);
                case AgentEvent.Unhandled e -> new Answered(unhandled(id, e));
                case AgentEvent.Malformed e -> new Answered(fail(id, FailureCause.MALFORMED_EVENT,
                        "event type 0x" + Integer.toHexString(e.type()) + " malformed: " + e.problem()));
            };
        } catch (RuntimeException e) {
            LOG.error("dispatcher - event {} failed unexpectedly", id, e);
            return new Answered(fail(id, FailureCause.INTERNAL_ERROR, e.toString()));
        }
    }

    /** The hooks of the serving scripts; cheap per event (a volatile read and an identity check). */
    private LoadedHooks hooks() {
        WorkerReady ready = pool.currentReady();
        LoadedHooks known = hooks;
        if (known.source() != ready) {
            known = LoadedHooks.of(ready);
            hooks = known;
        }
        return known;
    }

    private Step requestHeaders(String id, AgentEvent.RequestHeaders event) {
        RequestInfo request = EventMapping.requestInfo(event);
        LoadedHooks loaded = hooks();
        if (loaded.usedAfter(Phase.PHASE_REQUEST_HEADERS, false)) {
            store.startTransaction(id, request);
        } else {
            store.forget(id); // ids are not unique: nothing of an earlier transaction applies
        }
        return new Calling(id, loaded, false, HookCall.newBuilder()
                .setPhase(Phase.PHASE_REQUEST_HEADERS)
                .setCorrelationId(id)
                .setRequest(request)
                .build());
    }

    private Step responseHeaders(String id, AgentEvent.ResponseHeaders event) {
        ResponseInfo response = EventMapping.responseInfo(event);
        LoadedHooks loaded = hooks();
        boolean bodyHooked = loaded.usedAfter(Phase.PHASE_RESPONSE_HEADERS, false);
        if (bodyHooked) {
            store.rememberResponse(id, response);
        }
        HookCall call = HookCall.newBuilder()
                .setPhase(Phase.PHASE_RESPONSE_HEADERS)
                .setCorrelationId(id)
                .setRequest(store.request(id))
                .setResponse(response)
                .setCtx(store.ctx(id))
                .build();
        if (!bodyHooked) {
            store.forget(id); // no later call uses the transaction
        }
        return new Calling(id, loaded, false, call);
    }

    private Step responseBody(String id, AgentEvent.ResponseBodyChunk event) {
        try {
            return bodyChunk(id, Direction.RESPONSE, event.data(), event.chunkIndex(), event.isLast());
        } finally {
            if (event.isLast()) {
                store.forget(id); // nothing follows the last response chunk (its call is built)
            }
        }
    }

    private Step bodyChunk(String id, Direction direction, byte[] data, int chunkIndex, boolean last) {
        LoadedHooks loaded = hooks();
        Phase phase = direction == Direction.REQUEST ? Phase.PHASE_REQUEST_BODY : Phase.PHASE_RESPONSE_BODY;
        // the decoder's own array, never written again: the store, the call and the event share it
        ByteString bytes = data == null ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(data);
        // after the last request chunk, only a hooked response phase can use the transaction
        boolean done = last && direction == Direction.REQUEST && !loaded.usedAfter(Phase.PHASE_REQUEST_BODY, false);
        BodyProgress progress = store.appendBody(id, direction, bytes, last);
        if (!loaded.hooks(phase)) {
            // No loaded script reads this body: nothing to run, and its size is no failure, since
            // scripts.max-body-bytes bounds what the body hooks get. It is buffered all the same, so
            // that a reload that loads a body hook before the last chunk hands that hook the whole body.
            if (done) {
                store.forget(id);
            }
            AgentResponse allow = AgentResponse.allow(id);
            counters.decision(allow.decision());
            return new Answered(allow);
        }
        if (progress.overLimit()) {
            if (done) {
                store.forget(id);
            }
            return new Answered(fail(id, FailureCause.BODY_LIMIT, progress.reason()));
        }
        BodyChunk.Builder chunk = BodyChunk.newBuilder()
                .setData(bytes)
                .setChunkIndex(Math.max(0, chunkIndex))
                .setIsLast(last)
                .setComplete(last);
        if (last && progress.body().size() > bytes.size()) {
            chunk.setBody(progress.body()); // else the body is this one chunk, sent once as data
        }
        HookCall.Builder call = HookCall.newBuilder()
                .setPhase(phase)
                .setCorrelationId(id)
                .setRequest(store.request(id))
                .setChunk(chunk)
                .setCtx(store.ctx(id));
        if (direction == Direction.RESPONSE) {
            call.setResponse(store.response(id));
        } else if (done) {
            store.forget(id);
        }
        return new Calling(id, loaded, !last, call.build());
    }

    private AgentResponse unhandled(String id, AgentEvent.Unhandled event) {
        AgentResponse allow = AgentResponse.allow(id);
        if (event.type() == WEBSOCKET_FRAME) {
            allow = new AgentResponse(id, allow.decision(), allow.requestHeaders(), allow.responseHeaders(),
                    allow.routingMetadata(), allow.audit(), false, null, null, "allow");
        }
        counters.decision(allow.decision());
        return allow;
    }

    /** Takes a permit, leases a worker (waiting for a free VM), waits for its result and answers. */
    private AgentResponse callBlocking(Calling c) {
        if (!permits.tryAcquire()) {
            return overloaded(c.id());
        }
        try (WorkerLease lease = pool.acquire(acquireTimeout)) {
            HookResult result = lease.call(c.call()).get(resultTimeout.toNanos(), TimeUnit.NANOSECONDS);
            return answer(c, result);
        } catch (NoWorkerException e) {
            return fail(c.id(), e.failureCause(), e.getMessage());
        } catch (ExecutionException e) {
            return failed(c, e.getCause());
        } catch (TimeoutException e) {
            return fail(c.id(), FailureCause.TIME_LIMIT, "no result within " + resultTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(c.id(), FailureCause.INTERNAL_ERROR, "interrupted while waiting for the worker");
        } catch (RuntimeException e) {
            return failed(c, e);
        } finally {
            permits.release();
        }
    }

    /**
     * Sends the call on a lease already taken, with a permit already taken. The worker's handle
     * completes every call, with a result or by its hard deadline, so no timer guards it here.
     */
    private CompletableFuture<AgentResponse> callAsync(Calling c, WorkerLease lease) {
        try (lease) {
            return lease.call(c.call()).handle((result, failure) -> {
                try {
                    return failure == null ? answer(c, result) : failed(c, failure);
                } finally {
                    permits.release();
                }
            });
        } catch (RuntimeException e) {
            permits.release();
            return CompletableFuture.completedFuture(failed(c, e));
        }
    }

    private AgentResponse overloaded(String id) {
        return fail(id, FailureCause.OVERLOADED, "safety.max-concurrent (" + maxConcurrent + ") events in flight");
    }

    /** The answer for a call whose future failed: the worker went away, or something unexpected. */
    private AgentResponse failed(Calling c, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof WorkerGoneException gone) {
            return fail(c.id(), gone.failureCause(), gone.getMessage());
        }
        LOG.error("dispatcher - call for {} failed unexpectedly", c.id(), cause);
        return fail(c.id(), FailureCause.INTERNAL_ERROR, String.valueOf(cause));
    }

    /** Keeps a changed ctx where a later call can use it, then applies the policy to the result. */
    private AgentResponse answer(Calling c, HookResult result) {
        String id = c.id();
        if (result.getCtxChanged()) {
            if (result.getCtx().size() > maxCtxBytes) {
                return fail(id, FailureCause.CTX_LIMIT, "ctx (" + result.getCtx().size()
                        + " bytes) exceeds the maximum allowed (" + maxCtxBytes
                        + ", from 'resource-limits.max-ctx-bytes')");
            }
            if (c.loaded().usedAfter(c.call().getPhase(), c.moreChunks())) {
                store.updateCtx(id, result.getCtx());
            }
        }
        DecisionPolicy.Outcome outcome = policy.apply(id, c.call().getPhase(), result);
        if (outcome.failure() != null) {
            logFailure(id, outcome);
        }
        counters.decision(outcome.response().decision());
        return outcome.response();
    }

    private AgentResponse fail(String id, FailureCause cause, String detail) {
        AgentResponse response = policy.failure(id, cause);
        logFailure(id, cause, detail);
        counters.decision(response.decision());
        return response;
    }

    /** A failure found here, not reported by a script run: counted and logged without a script. */
    private void logFailure(String id, FailureCause cause, String detail) {
        counters.failure(cause, null);
        failureLog.record(new FailureLog.Hit(id, cause, null, null, 0, detail, policy.failOpen()));
    }

    /** A failure the policy made of a worker's result: counted and logged under its script, with the limit's figures. */
    private void logFailure(String id, DecisionPolicy.Outcome outcome) {
        counters.failure(outcome.failure(), outcome.script());
        failureLog.record(new FailureLog.Hit(id, outcome.failure(), outcome.script(), outcome.limit(),
                outcome.elapsedMicros(), outcome.detail(), policy.failOpen()));
    }

    private void sweep() {
        try {
            store.sweep();
        } catch (RuntimeException e) {
            LOG.error("dispatcher - sweeping transactions failed", e);
        }
    }

    /** Stops the sweeper; the pool is closed by its owner. */
    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
