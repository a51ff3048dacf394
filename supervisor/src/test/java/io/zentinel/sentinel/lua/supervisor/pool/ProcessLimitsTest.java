package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessLimitsTest {

    private record Run(int exit, String stdout, String stderr, long pid, long nanos) {
    }

    /** Runs {@code prefix} + {@code command} as the launcher does, and waits for it. */
    private static Run run(List<String> prefix, String... command) throws Exception {
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(List.of(command));
        long begin = System.nanoTime();
        Process process = new ProcessBuilder(argv).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Run(process.exitValue(), out, err, process.pid(), System.nanoTime() - begin);
    }

    /** Field 19 of /proc/self/stat, the niceness, of the process that runs it. */
    private static final String PRINT_LIMITS = "echo \"$$ $(ulimit -S -t) $(ulimit -H -t) $(ulimit -c) "
            + "$(cut -d' ' -f19 /proc/$$/stat)\"";

    @Test
    void withoutEitherKeyThereIsNoPrefix() {
        assertEquals(List.of(), ProcessLimits.none().commandPrefix());
        assertEquals("none", ProcessLimits.none().describe());
    }

    @Test
    void thePrefixSetsRlimitCpuSoftThenHardOneSecondAboveAndExecsNice() {
        assertEquals(List.of("/bin/sh", "-c", "ulimit -c 0; ulimit -S -t 60 && ulimit -H -t 61 || exit 71; "
                + "exec nice -n 5 \"$0\" \"$@\""), new ProcessLimits(5, 60).commandPrefix());
        assertEquals(List.of("/bin/sh", "-c", "exec nice -n 19 \"$0\" \"$@\""),
                new ProcessLimits(19, 0).commandPrefix());
        assertEquals(List.of("/bin/sh", "-c", "ulimit -c 0; ulimit -S -t 1 && ulimit -H -t 2 || exit 71; "
                + "exec \"$0\" \"$@\""), new ProcessLimits(0, 1).commandPrefix());
        assertEquals("nice 5, cpu-seconds 60", new ProcessLimits(5, 60).describe());
        assertEquals("nice 19, cpu-seconds unlimited", new ProcessLimits(19, 0).describe());
    }

    @Test
    void theCommandRunsUnderTheLimitsWithItsArgumentsIntactAndTheLaunchedPid() throws Exception {
        Run run = run(new ProcessLimits(7, 30).commandPrefix(), "/bin/sh", "-c", PRINT_LIMITS + "; echo \"$1|$2\"",
                "zero", "two words", "$x 'q'");

        assertEquals(0, run.exit(), run.stderr());
        assertEquals(run.pid() + " 30 31 0 7\ntwo words|$x 'q'\n", run.stdout());
    }

    @Test
    void behindACgroupPrefixBothApplyToTheSameProcess(@TempDir Path dir) throws Exception {
        Path procs = dir.resolve("cgroup.procs");
        List<String> cgroupPrefix = List.of("/bin/sh", "-c", "ulimit -c 0; echo $$ > '" + procs
                + "' || exit 71; exec \"$0\" \"$@\"");

        Run run = run(WorkerLauncher.placed(cgroupPrefix, new ProcessLimits(3, 5).commandPrefix()), "/bin/sh", "-c",
                PRINT_LIMITS);

        assertEquals(0, run.exit(), run.stderr());
        assertEquals(run.pid() + " 5 6 0 3\n", run.stdout());
        assertEquals(run.pid() + "\n", Files.readString(procs));
    }

    @Test
    void aLimitThatCannotBeSetStopsTheStartWithStatus71() throws Exception {
        // an inherited hard limit below the configured soft one: a soft limit above the hard one
        // is invalid for every user, root included
        List<String> lowered = List.of("/bin/sh", "-c", "ulimit -S -t 3; ulimit -H -t 3; exec \"$0\" \"$@\"");
        Run run = run(WorkerLauncher.placed(lowered, new ProcessLimits(0, 10).commandPrefix()), "/bin/echo",
                "must not run");

        assertEquals(71, run.exit(), run.stderr());
        assertEquals("", run.stdout());
    }

    @Test
    void aProcessThatUsesUpItsCpuSecondsEndsBySigxcpu() throws Exception {
        Run run = run(new ProcessLimits(0, 1).commandPrefix(), "/bin/sh", "-c", "while :; do :; done");

        assertEquals(ProcessLimits.SIGXCPU_STATUS, run.exit(), run.stderr());
        assertTrue(run.nanos() >= TimeUnit.MILLISECONDS.toNanos(900), "ran about a second of CPU: " + run.nanos());
    }

    @Test
    void sigxcpuReadsAsABreachOnlyUnderALimitAndOnlyWhenWeDidNotKillIt() {
        ProcessLimits limited = new ProcessLimits(0, 2);
        WorkerExitStatus sigxcpu = new WorkerExitStatus(152, null, false);
        WorkerExitStatus ours = new WorkerExitStatus(152, "missed heartbeat", false);
        WorkerExitStatus crash = new WorkerExitStatus(70, null, true);

        assertEquals(new WorkerExitStatus(152, "used up workers.cpu-seconds (2 s of CPU)", false),
                limited.withRlimitCause(sigxcpu));
        assertEquals("killed: used up workers.cpu-seconds (2 s of CPU) (CPU time limit, SIGXCPU (exit 152))",
                limited.withRlimitCause(sigxcpu).describe());
        assertEquals(ours, limited.withRlimitCause(ours));
        assertEquals(crash, limited.withRlimitCause(crash));
        assertEquals(sigxcpu, ProcessLimits.none().withRlimitCause(sigxcpu));
    }

    @Test
    void negativeValuesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ProcessLimits(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ProcessLimits(0, -1));
    }
}
