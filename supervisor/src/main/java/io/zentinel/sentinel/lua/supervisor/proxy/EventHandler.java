package io.zentinel.sentinel.lua.supervisor.proxy;

/**
 * Turns one proxy event into its response. Called on a virtual thread of its own for every
 * event, so it may block; it must always return a response (the failure-mode decision when
 * anything went wrong) and never throw, because the proxy waits for exactly one answer.
 */
@FunctionalInterface
public interface EventHandler {
    AgentResponse handle(AgentEvent event);
}
