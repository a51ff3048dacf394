package io.zentinel.sentinel.lua.supervisor.watch;

import java.util.Collection;
import java.util.Map;

/**
 * Memory and CPU figures of processes, for the {@code status} command: {@link OshiProcessSampler}
 * in the agent, a hand-written fake in tests.
 *
 * <p>Sampling may block: the oshi implementation needs about a second the first time and then a
 * short measuring window for CPU. Call it from an admin request, never on the event path.
 */
@FunctionalInterface
public interface ProcessSampler {

    /** Samples nothing: every figure is unknown. */
    ProcessSampler NONE = pids -> Map.of();

    /**
     * One process's figures.
     *
     * @param rssBytes   resident memory
     * @param cpuPercent CPU use over the sampling window in percent of one CPU (100 = one CPU busy;
     *                   a multi-threaded process can exceed 100)
     */
    record ProcessSample(long pid, long rssBytes, double cpuPercent) {
    }

    /**
     * Samples the processes with these ids. Processes that are gone, or that cannot be read, are
     * left out of the answer; it never throws for them.
     */
    Map<Long, ProcessSample> sample(Collection<Long> pids);
}
