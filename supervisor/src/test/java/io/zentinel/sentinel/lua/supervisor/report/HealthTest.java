package io.zentinel.sentinel.lua.supervisor.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zentinel.sentinel.lua.supervisor.pool.WorkerPool.CrashLoop;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerStatus;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec.HealthState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthTest {
    private static final CrashLoop CALM = new CrashLoop(0, Duration.ZERO, null);

    private static WorkerStatus worker(int id, long generation, WorkerState state) {
        return new WorkerStatus(id, 100 + id, state, 0, 0, Instant.EPOCH, generation, id, false, 0, null, 5000);
    }

    @Test
    void allWorkersOfTheServingGenerationReadyIsHealthy() {
        Health h = Health.of(List.of(worker(1, 2, WorkerState.READY), worker(2, 2, WorkerState.READY),
                worker(3, 2, WorkerState.STARTING), worker(4, 1, WorkerState.RETIRING)), 2, CALM, 2);

        assertEquals(new Health(HealthState.HEALTHY, "2 of 2 workers ready"), h);
    }

    @Test
    void fewerReadyWorkersOrACrashLoopIsDegraded() {
        assertEquals(new Health(HealthState.DEGRADED, "1 of 2 workers ready"),
                Health.of(List.of(worker(1, 1, WorkerState.READY), worker(2, 1, WorkerState.STARTING)), 1, CALM, 2));
        assertEquals(new Health(HealthState.DEGRADED, "1 of 2 workers ready, crash loop: 3 early deaths"),
                Health.of(List.of(worker(1, 1, WorkerState.READY)), 1, new CrashLoop(3, Duration.ofMillis(400), null), 2));
    }

    @Test
    void aReadyStandbyDoesNotCountAsAServingWorker() {
        WorkerStatus standby = new WorkerStatus(3, 103, WorkerState.READY, 0, 0, Instant.EPOCH, 1, 2, true, 0, null, 5000);

        assertEquals(new Health(HealthState.DEGRADED, "1 of 2 workers ready"),
                Health.of(List.of(worker(1, 1, WorkerState.READY), worker(2, 1, WorkerState.STARTING), standby), 1,
                        CALM, 2));
    }

    @Test
    void noReadyWorkerIsUnhealthyEvenWhenAnOldGenerationStillFinishesCalls() {
        assertEquals(new Health(HealthState.UNHEALTHY, "0 of 2 workers ready"),
                Health.of(List.of(worker(1, 1, WorkerState.READY)), 2, CALM, 2));
        assertEquals(new Health(HealthState.UNHEALTHY, "0 of 2 workers ready, crash loop: 4 early deaths, "
                        + "next start in 800 ms; last: worker-7 - exited with status 1"),
                Health.of(List.of(), 2, new CrashLoop(4, Duration.ofMillis(800), "worker-7 - exited with status 1"), 2));
    }
}
