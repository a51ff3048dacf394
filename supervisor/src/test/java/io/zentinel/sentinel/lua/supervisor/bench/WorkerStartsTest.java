package io.zentinel.sentinel.lua.supervisor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerStartsTest {
    @Test
    void splitsTheWorkersStartedWithTheAgentFromTheirReplacements() {
        List<String> log = List.of(
                "2026-11-25T18:26:01.001Z [INFO] WorkerPool - pool - starting 2 workers on 1 scripts",
                "2026-11-25T18:26:01.450Z [INFO] worker-1 - io.zentinel.sentinel.lua.worker.WorkerLoop - worker-1 - ready in 313 ms: 4 VMs, 1 scripts, 0 left out",
                "2026-11-25T18:26:01.460Z [INFO] WorkerHandle - worker-1 - ready (pid 101, 1 scripts, 0 problems, 442 ms)",
                "2026-11-25T18:26:01.470Z [INFO] WorkerHandle - worker-2 - ready (pid 102, 1 scripts, 0 problems, 486 ms)",
                "2026-11-25T18:26:01.471Z [INFO] WorkerPool - pool - 2 workers ready",
                "2026-11-25T18:26:02.000Z [INFO] WorkerPool - worker-1 - reached 1000 executions (workers.max-executions 1000, 981 after jitter), starting its replacement",
                "2026-11-25T18:26:02.700Z [INFO] WorkerHandle - worker-3 - ready (pid 103, 1 scripts, 0 problems, 690 ms)",
                "2026-11-25T18:26:03.900Z [INFO] WorkerHandle - worker-4 - ready (pid 104, 1 scripts, 0 problems, 1210 ms)");

        WorkerStarts starts = WorkerStarts.fromLog("recycle-workers", log);

        assertEquals("recycle-workers", starts.scenario());
        assertEquals(List.of(442L, 486L), starts.initialMillis());
        assertEquals(List.of(690L, 1210L), starts.laterMillis());
    }

    @Test
    void aPoolThatStartedShortOfWorkersStillEndsTheInitialStarts() {
        List<String> log = List.of(
                "[INFO] WorkerHandle - worker-1 - ready (pid 101, 1 scripts, 0 problems, 400 ms)",
                "[WARN] WorkerPool - pool - started with 1 of 2 workers ready: worker-2 - exited with 1",
                "[INFO] WorkerHandle - worker-3 - ready (pid 103, 1 scripts, 0 problems, 380 ms)");

        WorkerStarts starts = WorkerStarts.fromLog("s", log);

        assertEquals(List.of(400L), starts.initialMillis());
        assertEquals(List.of(380L), starts.laterMillis());
    }

    @Test
    void aLogWithoutReadyLinesHasNoStarts() {
        WorkerStarts starts = WorkerStarts.fromLog("s", List.of("sentinel-lua-agent: no worker became ready"));

        assertEquals(List.of(), starts.initialMillis());
        assertEquals(List.of(), starts.laterMillis());
    }
}
