package io.zentinel.sentinel.lua.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.supervisor.pool.ClassArchive;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
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
    void theTrainingRunAddsAScriptThatCallsEveryLibraryModule() {
        ScriptSource own = ScriptSource.newBuilder().setFileName("10-own.lua").setSource("function on_request_headers() end")
                .build();

        List<ScriptSource> training = ClassArchiveCommand.withLibraryTraining(ScriptSet.of(List.of(own))).sources();

        assertEquals(List.of("10-own.lua", "class-archive-libraries.lua"),
                training.stream().map(ScriptSource::getFileName).toList());
        for (String module : List.of("crypto", "encoding", "http", "json", "regex", "time")) {
            assertTrue(training.get(1).getSource().contains(" " + module + "."), module);
        }
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
