package io.zentinel.sentinel.lua.supervisor.cgroup;

import static io.zentinel.sentinel.lua.supervisor.cgroup.TreeFs.cgroup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.cgroup.HierarchyCgroups.Hierarchy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the placement prefix in a real {@code /bin/sh} against ordinary files standing in for {@code cgroup.procs}. */
class ShellPlacementTest {
    private static final CgroupLimits LIMITS = new CgroupLimits(50_000, 128L << 20, (128L << 20) / 100 * 90, 64, 8192);

    @TempDir
    Path root;

    private record Run(int exit, String stdout, String stderr) {
    }

    private static Run run(List<String> prefix, String... command) throws Exception {
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(List.of(command));
        Process process = new ProcessBuilder(argv).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return new Run(process.exitValue(), out, err + "pid " + process.pid());
    }

    @Test
    void theCommandRunsWithItsArgumentsIntactUnderThePidWrittenToEachCgroup() throws Exception {
        // a space and a quote in the path, and awkward arguments, must all survive the quoting
        Path a = cgroup(root.resolve("it's a/base"));
        Path b = cgroup(root.resolve("b $HOME/base"));
        V1WorkerCgroups cgroups = new V1WorkerCgroups(new TreeFs(), LIMITS,
                List.of(new Hierarchy(a, Set.of()), new Hierarchy(b, Set.of())));
        WorkerCgroup cgroup = cgroups.create(1);

        Run run = run(cgroup.placeCommandPrefix(), "/bin/sh", "-c", "echo \"$$|$1|$2|$(ulimit -c)\"", "zero",
                "two words", "$x 'q'");

        assertEquals(0, run.exit(), run.stderr());
        String pid = run.stdout().substring(0, run.stdout().indexOf('|'));
        assertEquals(pid + "|two words|$x 'q'|0\n", run.stdout());
        assertEquals(pid + "\n", Files.readString(a.resolve("worker-1/cgroup.procs")));
        assertEquals(pid + "\n", Files.readString(b.resolve("worker-1/cgroup.procs")));
        assertTrue(run.stderr().endsWith("pid " + pid), "exec keeps the launched pid: " + run.stderr());
    }

    @Test
    void aCgroupThatCannotBeJoinedStopsTheStartWithStatus71() throws Exception {
        Path a = cgroup(root.resolve("a"));
        V1WorkerCgroups cgroups = new V1WorkerCgroups(new TreeFs(), LIMITS, List.of(new Hierarchy(a, Set.of())));
        WorkerCgroup cgroup = cgroups.create(2);
        Files.delete(a.resolve("worker-2"));   // no directory, so no cgroup.procs to write

        Run run = run(cgroup.placeCommandPrefix(), "/bin/echo", "must not run");

        assertEquals(71, run.exit());
        assertEquals("", run.stdout());
    }
}
