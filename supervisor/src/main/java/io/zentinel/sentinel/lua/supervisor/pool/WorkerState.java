package io.zentinel.sentinel.lua.supervisor.pool;

/** Life cycle of one worker process, in this order; a worker never goes back. */
public enum WorkerState {
    /** Launched, {@code WorkerInit} sent, {@code WorkerReady} not yet received. */
    STARTING,
    /** Takes calls. */
    READY,
    /** Takes no new calls; sends {@code Shutdown} once the calls it holds are answered. */
    RETIRING,
    /** The process has exited. */
    DEAD
}
