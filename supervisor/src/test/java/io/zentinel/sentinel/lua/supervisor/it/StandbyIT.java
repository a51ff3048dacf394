package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerStatus;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * workers.standby with real worker JVMs: a serving worker killed under load hands its slot to
 * the started standby, so the pool serves at full strength again without waiting for a JVM to
 * start, and a new standby starts behind it. The same kill without a standby is measured beside
 * it; the figures are printed, not asserted.
 */
class StandbyIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Budgets far above what the script needs: a JVM start competes for the machine's CPUs. */
    private static final String ROOMY_BUDGETS = "resource-limits { max-execution-time \"2s\" }\n";
    private static final int VMS_PER_WORKER = 4;

    @TempDir
    Path dir;

    private record Outcome(long servingAgainNanos, PacedLoad.Figures figures, int failureAnswers) {
    }

    private static List<WorkerStatus> serving(Supervisor supervisor) {
        return supervisor.pool().snapshot().stream()
                .filter(w -> !w.standby() && w.state() == WorkerState.READY).toList();
    }

    private static List<WorkerStatus> readyStandbys(Supervisor supervisor) {
        return supervisor.pool().snapshot().stream()
                .filter(w -> w.standby() && w.state() == WorkerState.READY).toList();
    }

    /**
     * Starts an agent of two workers (and {@code standby} standbys), puts 1,000 events on it at
     * 200 a second, SIGKILLs a serving worker after 1 s and times how long until two workers serve
     * again.
     */
    private Outcome killUnderLoad(String name, int standby, List<WorkerStatus> before, List<WorkerStatus> after)
            throws Exception {
        try (AgentHarness agent = new AgentHarness(dir.resolve(name)).scriptResource("seed-example.lua")) {
            Supervisor supervisor = agent.start("timeout \"2s\"", "workers { count 2; vms-per-worker "
                    + VMS_PER_WORKER + "; standby " + standby + " }\n" + ROOMY_BUDGETS);
            Await.until("workers and standbys ready", WAIT,
                    () -> serving(supervisor).size() == 2 && readyStandbys(supervisor).size() == standby);
            List<FakeProxy> proxies = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                proxies.add(agent.connect());
            }
            PacedLoad.run(proxies, "warm", 200, 200, 4, WAIT);
            before.addAll(supervisor.pool().snapshot());

            // on a thread of its own: Process.onExit() completes on the common pool, which the
            // paced sender (it parks between events) would otherwise hold for the whole run
            CompletableFuture<List<PacedLoad.Answer>> load = new CompletableFuture<>();
            Thread.ofPlatform().name("standby-it-load").start(() -> {
                try {
                    load.complete(PacedLoad.run(proxies, "k", 1000, 200, 4, WAIT));
                } catch (Exception | AssertionError e) {
                    load.completeExceptionally(e);
                }
            });
            Thread.sleep(1000);
            WorkerStatus victim = serving(supervisor).getFirst();
            long killed = System.nanoTime();
            ProcessHandle.of(victim.pid()).orElseThrow().destroyForcibly();
            while (serving(supervisor).size() < 2 || serving(supervisor).stream().anyMatch(w -> w.id() == victim.id())) {
                if (System.nanoTime() - killed > WAIT.toNanos()) {
                    throw new AssertionError("two workers did not serve again within " + WAIT);
                }
                TimeUnit.MICROSECONDS.sleep(200);
            }
            long servingAgain = System.nanoTime() - killed;
            List<PacedLoad.Answer> answers = load.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            Await.until("standbys ready again", WAIT, () -> readyStandbys(supervisor).size() == standby);
            after.addAll(supervisor.pool().snapshot());

            assertEquals(1000, answers.size());
            int failures = 0;
            for (PacedLoad.Answer answer : answers) {
                assertEquals(answer.id(), answer.response().at("/audit/custom/correlation_id").asText());
                if (!PacedLoad.failureTags(answer.response()).isEmpty()) {
                    failures++;
                }
            }
            for (FakeProxy proxy : proxies) {
                assertTrue(proxy.violations().isEmpty(), proxy.violations().toString());
            }
            return new Outcome(servingAgain, PacedLoad.figures(answers), failures);
        }
    }

    @Test
    void aKilledWorkersSlotGoesToTheStandbyAndANewStandbyStartsBehindIt() throws Exception {
        List<WorkerStatus> coldBefore = new ArrayList<>();
        List<WorkerStatus> coldAfter = new ArrayList<>();
        Outcome cold = killUnderLoad("cold", 0, coldBefore, coldAfter);
        List<WorkerStatus> before = new ArrayList<>();
        List<WorkerStatus> after = new ArrayList<>();
        Outcome warm = killUnderLoad("standby", 1, before, after);

        System.out.println("StandbyIT: 2 workers x " + VMS_PER_WORKER + " Lua VMs, 1000 events at 200/s on 4"
                + " connections, one serving worker SIGKILLed after 1 s");
        System.out.printf("StandbyIT:   workers.standby 0: two workers serve again %.1f ms after the kill; %d answers"
                + " with the failure mode; %s%n", cold.servingAgainNanos() / 1e6, cold.failureAnswers(), cold.figures());
        System.out.printf("StandbyIT:   workers.standby 1: two workers serve again %.1f ms after the kill; %d answers"
                + " with the failure mode; %s%n", warm.servingAgainNanos() / 1e6, warm.failureAnswers(), warm.figures());

        // only the calls in flight on the killed worker get the failure mode
        assertTrue(cold.failureAnswers() <= VMS_PER_WORKER, "failure answers: " + cold.failureAnswers());
        assertTrue(warm.failureAnswers() <= VMS_PER_WORKER, "failure answers: " + warm.failureAnswers());

        // the standby took over the slot; the next standby is a new worker
        WorkerStatus oldStandby = before.stream().filter(WorkerStatus::standby).findFirst().orElseThrow();
        WorkerStatus took = after.stream().filter(w -> w.id() == oldStandby.id()).findFirst().orElseThrow();
        assertFalse(took.standby());
        assertTrue(took.slot() < 2, "serving slot: " + took);
        assertEquals(1, took.restarts());
        assertTrue(took.executions() > 0, "it served calls: " + took);
        WorkerStatus next = after.stream().filter(WorkerStatus::standby).findFirst().orElseThrow();
        assertTrue(next.id() > oldStandby.id(), next.toString());
        assertEquals(0, next.executions());
        assertEquals(3, after.size(), after.toString());
    }
}
