package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.zentinel.sentinel.lua.protocol.v1.SandboxLimits;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.protocol.v1.VmRenewal;
import io.zentinel.sentinel.lua.protocol.v1.WorkerInit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScriptSetTest {
    @TempDir
    Path dir;

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
    }

    @Test
    void readsEveryLuaFileOfTheDirectoryInNameOrder() throws Exception {
        write("b_auth.lua", "-- b\nreturn 1\n");
        write("a_waf.lua", "-- a");
        write("notes.txt", "not a script");
        write(".#a_waf.lua", "editor lock file");
        Files.createDirectory(dir.resolve("nested.lua"));
        Files.createDirectory(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub").resolve("deep.lua"), "-- not read");

        ScriptSet set = ScriptSet.read(dir);

        assertEquals(List.of("a_waf.lua", "b_auth.lua"), set.fileNames());
        assertEquals(ScriptSource.newBuilder().setFileName("b_auth.lua").setSource("-- b\nreturn 1\n").build(),
                set.sources().get(1));
        assertEquals(dir, set.directory());
    }

    @Test
    void anEmptyDirectoryIsAnEmptySet() throws Exception {
        assertEquals(List.of(), ScriptSet.read(dir).sources());
    }

    @Test
    void aMissingDirectoryIsRejectedByName() {
        Path missing = dir.resolve("missing");

        ScriptSetException e = assertThrows(ScriptSetException.class, () -> ScriptSet.read(missing));

        assertEquals("scripts.directory '" + missing + "' does not exist", e.getMessage());
    }

    @Test
    void aFileInsteadOfADirectoryIsRejected() throws Exception {
        write("file", "x");

        ScriptSetException e = assertThrows(ScriptSetException.class, () -> ScriptSet.read(dir.resolve("file")));

        assertEquals("scripts.directory '" + dir.resolve("file") + "' is not a directory", e.getMessage());
    }

    @Test
    void aScriptOfExactlyTheMaximumSizeIsRead() throws Exception {
        write("max.lua", "-".repeat(ScriptSet.MAX_SCRIPT_BYTES));

        assertEquals(ScriptSet.MAX_SCRIPT_BYTES, ScriptSet.read(dir).sources().get(0).getSource().length());
    }

    @Test
    void aScriptOverTheMaximumSizeIsRejected() throws Exception {
        write("big.lua", "-".repeat(ScriptSet.MAX_SCRIPT_BYTES + 1));

        ScriptSetException e = assertThrows(ScriptSetException.class, () -> ScriptSet.read(dir));

        assertEquals("script 'big.lua' (1048577 bytes) exceeds the maximum allowed (1048576, per script file)",
                e.getMessage());
    }

    @Test
    void aScriptThatIsNotUtf8IsRejected() throws Exception {
        Files.write(dir.resolve("latin1.lua"), new byte[] {'-', '-', ' ', (byte) 0xe9, '\n'});

        ScriptSetException e = assertThrows(ScriptSetException.class, () -> ScriptSet.read(dir));

        assertEquals("script 'latin1.lua' is not valid UTF-8", e.getMessage());
    }

    @Test
    void moreThanTheMaximumNumberOfScriptsIsRejected() throws Exception {
        for (int i = 0; i <= ScriptSet.MAX_SCRIPTS; i++) {
            write(String.format("s%03d.lua", i), "--");
        }

        ScriptSetException e = assertThrows(ScriptSetException.class, () -> ScriptSet.read(dir));

        assertEquals("scripts.directory '" + dir + "' holds more than 256 *.lua files", e.getMessage());
    }

    @Test
    void scriptsOverTheTotalMaximumAreRejected() throws Exception {
        String full = "-".repeat(ScriptSet.MAX_SCRIPT_BYTES);
        for (int i = 0; i < 33; i++) {
            write(String.format("s%02d.lua", i), full);
        }

        ScriptSetException e = assertThrows(ScriptSetException.class, () -> ScriptSet.read(dir));

        assertEquals("scripts in '" + dir + "' (34603008 bytes up to 's32.lua') exceed the maximum allowed in total"
                + " (33554432)", e.getMessage());
    }

    @Test
    void theInitFrameCarriesTheScriptsAndTheSandboxLimitsOfTheConfiguration() throws Exception {
        write("a.lua", "-- a");
        TestConfig config = new TestConfig();
        config.workers = 2;
        config.vmsPerWorker = 3;
        config.maxExecutionTime = Duration.ofMillis(150);
        config.maxBodyBytes = 4096;
        config.maxCtxBytes = 2048;
        config.vmMaxExecutions = 1234;
        config.vmMaxAge = Duration.ofMinutes(3);
        config.maxExecutions = 99_999; // the worker's own retirement stays with the supervisor

        WorkerInit init = ScriptSet.read(dir).toInit(7, config.build());

        assertEquals(WorkerInit.newBuilder()
                .setWorkerId(7)
                .setVmCount(3)
                .setLimits(SandboxLimits.newBuilder()
                        .setMaxInstructions(10_000_000)
                        .setMaxMemoryBytes(50L * 1024 * 1024)
                        .setMaxExecutionMs(150)
                        .setScriptTimeoutMs(50)
                        .setMaxStringBytes(10L * 1024 * 1024)
                        .setMaxTableEntries(10_000)
                        .setMaxBodyBytes(4096)
                        .setMaxCallDepth(200)
                        .setMaxCoroutines(16)
                        .setMaxCtxBytes(2048))
                .addScripts(ScriptSource.newBuilder().setFileName("a.lua").setSource("-- a"))
                .setAgentVersion("dev")
                .setDebugScripts(false)
                .setVmRenewal(VmRenewal.newBuilder().setMaxExecutions(1234).setMaxAgeMs(180_000))
                .build(), init);
    }

    @Test
    void aSetFromMemoryHasNoDirectory() {
        ScriptSet set = ScriptSet.of(List.of(ScriptSource.newBuilder().setFileName("x.lua").build()));

        assertNull(set.directory());
        assertEquals("ScriptSet[x.lua]", set.toString());
    }
}
