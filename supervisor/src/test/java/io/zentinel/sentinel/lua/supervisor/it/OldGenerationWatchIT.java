package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as its own process watches its old generation under SerialGC, the collector its
 * launcher gives it, and not under another collector.
 */
class OldGenerationWatchIT {
    private static final String WATCHED = "memory - old generation watched: a full collection once it grows 4 MiB over its mark";

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

    /** Starts the agent with {@code collector}, waits until it serves, stops it and returns its log. */
    private String agentOutput(String collector) throws Exception {
        Path run = Files.createTempDirectory(dir, "agent");
        Path admin = run.resolve("admin.sock");
        Files.createDirectories(run.resolve("scripts"));
        Path config = Files.writeString(run.resolve("agent.kdl"), "socket-path \"" + run.resolve("agent.sock")
                + "\"\nscripts { directory \"scripts\" }\nworkers { count 1 }\nvm-pool { size 1 }\n"
                + "admin { socket-path \"" + admin + "\" }\n");
        Process agent = AgentProcess.start(config, run, collector);
        try {
            Await.until("agent answers status", Duration.ofSeconds(60), () -> agent.isAlive()
                    && CliRun.of("status", "--admin-socket", admin.toString()).exitCode() == 0);
            agent.destroy();
            assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "agent stopped");
            assertEquals(0, agent.exitValue(), AgentProcess.output(run));
            return AgentProcess.output(run);
        } finally {
            agent.destroyForcibly();
        }
    }
}
