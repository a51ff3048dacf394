package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as its own process watches its old generation under SerialGC, the collector its
 * launcher gives it, and not under another collector.
 */
class OldGenerationWatchIT {
    private static final String WATCHED = "memory - old generation watched: a full collection once it grows 2 MiB over its mark";

    @TempDir
    Path dir;

    @Test
    void anAgentOnSerialGcWatchesItsOldGeneration() throws Exception {
        assertTrue(agentOutput("-XX:+UseSerialGC").contains(WATCHED), "the start reports the watch");
    }

    @Test
    void anAgentOnAnotherCollectorDoesNot() throws Exception {
        assertFalse(agentOutput("-XX:+UseParallelGC").contains("old generation watched"));
    }

    /** Runs the agent with {@code collector} until it serves and returns its log. */
    private String agentOutput(String collector) throws Exception {
        Path run = Files.createTempDirectory(dir, "agent");
        AgentProcess.serveUntilStatusAnswers(run, collector);
        return AgentProcess.output(run);
    }
}
