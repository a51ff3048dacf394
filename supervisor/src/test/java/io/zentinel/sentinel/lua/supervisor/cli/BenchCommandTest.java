package io.zentinel.sentinel.lua.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {

    @Test
    void rejectsABodyOutsideTheProxysCap() {
        CliRun run = CliRun.of("bench", "--events", "body", "--body-bytes", "0");

        assertEquals(2, run.exitCode(), run::toString);
        assertEquals("sentinel-lua-agent bench: body bytes must be between 1 and 1048576 for body events (was 0)\n",
                run.err());
    }

    @Test
    void rejectsARequestThatIsNotMethodAndUri() {
        CliRun run = CliRun.of("bench", "--request", "/api/users");

        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("sentinel-lua-agent bench: a request is \"METHOD URI\""), run::toString);
    }

    @Test
    void saysWhenNoAgentListens(@TempDir Path dir) {
        CliRun run = CliRun.of("bench", "--socket", dir.resolve("none.sock").toString(), "--warmup", "0",
                "--duration", "1");

        assertEquals(69, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("sentinel-lua-agent bench: cannot load " + dir.resolve("none.sock")), run::toString);
    }

    @Test
    void reportWritesTheMarkdownOfAResultsFile(@TempDir Path dir) throws IOException {
        Path results = dir.resolve("results.jsonl");
        Files.write(results, List.of("{\"kind\":\"engine\",\"engine\":\"luaj\",\"version\":\"LuaJ\","
                + "\"script\":\"s.lua\",\"ns_per_call\":5000,\"calls\":10}"));
        Path out = dir.resolve("report.md");

        CliRun run = CliRun.of("bench", "report", "--results", results.toString(), "--out", out.toString(),
                "--title", "Run", "--note", "quick run");

        assertEquals(0, run.exitCode(), run::toString);
        String md = Files.readString(out);
        assertTrue(md.startsWith("# Run\n\n- quick run\n\n## Machine\n"), md);
        assertTrue(md.contains("| luaj | LuaJ | s.lua | 5,000 | 1.0x |\n"), md);
    }

    @Test
    void reportRefusesAResultsFileItCannotRead(@TempDir Path dir) {
        CliRun run = CliRun.of("bench", "report", "--results", dir.resolve("missing.jsonl").toString());

        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("sentinel-lua-agent bench report: cannot read "), run::toString);
    }
}
