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
 * While a lease is open the worker cannot be shut down by a retirement, so a leased call is
 * never dropped. Closing twice is harmless. Not for sharing between threads.
 */
public final class WorkerLease implements AutoCloseable {
    private final WorkerChannel worker;
    private final Consumer<WorkerChannel> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

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
     * @throws IllegalStateException when the lease is closed
     */
    public CompletableFuture<HookResult> call(HookCall call) {
        if (closed.get()) {
            throw new IllegalStateException("lease of worker-" + worker.id() + " is closed");
        }
        return worker.call(call);
    }

    /** Returns the worker to the pool. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            onClose.accept(worker);
        }
    }
}
