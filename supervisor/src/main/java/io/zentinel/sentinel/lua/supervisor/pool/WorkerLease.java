package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A worker borrowed from the {@link WorkerPool} for one event; use it in try-with-resources:
 * <pre>{@code
 * try (WorkerLease lease = pool.acquire(timeout)) {
 *     HookResult result = lease.call(call).get();
 * }
 * }</pre>
 * A lease holds one of the worker's Lua VMs for one call. The VM goes back to the pool as soon as
 * that call completes (on the thread that completes it, so that a waiting acquire gets the VM
 * without waiting for this lease's holder to run again), or when the lease is closed without a
 * call. Until then the worker cannot be shut down by a retirement, so a leased call is never
 * dropped. Closing twice, or after the call completed, is harmless. Not for sharing between
 * threads.
 */
public final class WorkerLease implements AutoCloseable {
    private final WorkerChannel worker;
    private final Consumer<WorkerChannel> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean released = new AtomicBoolean();
    private CompletableFuture<HookResult> sent;

    WorkerLease(WorkerChannel worker, Consumer<WorkerChannel> onClose) {
        this.worker = worker;
        this.onClose = onClose;
    }

    /** Id of the leased worker, for logs. */
    public int workerId() {
        return worker.id();
    }

    /**
     * Sends the call to the leased worker. The future always completes: with the result, or
     * exceptionally with a {@link WorkerGoneException}.
     *
     * @throws IllegalStateException when the lease is closed or already carried its call
     */
    public CompletableFuture<HookResult> call(HookCall call) {
        if (closed.get()) {
            throw new IllegalStateException("lease of worker-" + worker.id() + " is closed");
        }
        if (sent != null) {
            throw new IllegalStateException("lease of worker-" + worker.id() + " carries one call");
        }
        sent = worker.call(call);
        sent.whenComplete((result, failure) -> release());
        return sent;
    }

    /** Returns the worker to the pool, at once or, with a call in flight, when it completes. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && sent == null) {
            release();
        }
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            onClose.accept(worker);
        }
    }
}
