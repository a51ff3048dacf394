package io.zentinel.sentinel.lua.supervisor.pool;

import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;

/** Creates the workers of a {@link WorkerPool}: launched processes, or fakes in tests. */
@FunctionalInterface
public interface WorkerFactory {

    /**
     * Launches worker {@code workerId}; the pool then calls {@link WorkerChannel#start}.
     * Called on a virtual thread of the pool; may block while the process starts.
     *
     * @param timer the pool's scheduler, for the worker's timeouts and heartbeats
     * @throws IOException when nothing could be launched (counted as a failed start)
     */
    WorkerChannel create(int workerId, ScheduledExecutorService timer) throws IOException;
}
