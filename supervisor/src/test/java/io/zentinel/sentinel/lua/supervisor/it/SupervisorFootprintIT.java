package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent keeps jackson-databind out of its process: it serves and answers {@code status}
 * without building an {@code ObjectMapper}, whose classes would hold about 3 MiB of metaspace for
 * the agent's lifetime.
 */
class SupervisorFootprintIT {
    @TempDir
    Path dir;

    @Test
    void answersStatusWithoutLoadingDatabindsMapper() throws Exception {
        Path run = Files.createTempDirectory(dir, "agent");
        Path classes = run.resolve("classes.log");
        AgentProcess.serveUntilStatusAnswers(run, "-Xlog:class+load=info:file=" + classes);
        String loaded = Files.readString(classes);
        assertTrue(loaded.contains("io.zentinel.sentinel.lua.supervisor.admin.RecordJsonWriter "),
                "the status answer was written: " + run);
        assertFalse(loaded.contains("com.fasterxml.jackson.databind.ObjectMapper "),
                "the agent loaded databind's ObjectMapper");
    }
}
