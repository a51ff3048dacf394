package io.zentinel.sentinel.lua.supervisor.proxy;

import java.util.concurrent.CompletableFuture;

/**
 * Turns one proxy event into its response; it must always produce a response (the failure-mode
 * decision when anything went wrong), because the proxy waits for exactly one answer.
 *
 * <p>{@link #handleAsync} is tried first, on the connection's reader thread: a handler that can
 * start the work without blocking returns a future of the answer, which may complete on any
 * thread. When it returns {@code null}, {@link #handle} runs on a virtual thread of its own and
 * may block. Handing an event to a virtual thread and back costs more CPU than the rest of a
 * simple event, so a handler on the hot path answers asynchronously.
 */
@FunctionalInterface
public interface EventHandler {
    AgentResponse handle(AgentEvent event);

    /**
     * Starts answering without blocking the caller; {@code null} means "call {@link #handle} on a
     * thread that may block". A future that completes exceptionally gets the fallback answer.
     */
    default CompletableFuture<AgentResponse> handleAsync(AgentEvent event) {
        return null;
    }
}
