package io.zentinel.sentinel.lua.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.supervisor.pool.ClassArchive;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassArchiveCommandTest {

    @Test
    void theTrainingEventsParseAndCoverEveryPhase() throws Exception {
        Set<Phase> phases = EnumSet.noneOf(Phase.class);
        for (String event : ClassArchiveCommand.TRAINING_EVENTS) {
            phases.add(TestEvent.parse(event.getBytes(StandardCharsets.UTF_8), 1024 * 1024).call().getPhase());
        }

        assertEquals(EnumSet.of(Phase.PHASE_REQUEST_HEADERS, Phase.PHASE_REQUEST_BODY, Phase.PHASE_RESPONSE_HEADERS,
                Phase.PHASE_RESPONSE_BODY), phases);
    }

    @Test
    void outsideAnInstallationItNeedsAnOutput() {
        String before = System.getProperty(ClassArchive.PROPERTY);
        System.clearProperty(ClassArchive.PROPERTY);
        try {
            CliRun run = CliRun.of("class-archive", "/nonexistent-scripts");

            assertEquals(2, run.exitCode(), run.toString());
            assertEquals("sentinel-lua-agent: no --output given, and this is not an installation (the launcher sets"
                    + " -Dsentinel.lua.worker.class-archive)\n", run.err());
        } finally {
            if (before != null) {
                System.setProperty(ClassArchive.PROPERTY, before);
            }
        }
    }

    @Test
    void anUnreadableScriptsDirectoryIsAConfigurationError(@TempDir Path dir) {
        CliRun run = CliRun.of("class-archive", "--output", dir.resolve("w.jsa").toString(),
                dir.resolve("missing").toString());

        assertEquals(78, run.exitCode(), run.toString());
        assertTrue(run.err().startsWith("sentinel-lua-agent: "), run.err());
    }
}
