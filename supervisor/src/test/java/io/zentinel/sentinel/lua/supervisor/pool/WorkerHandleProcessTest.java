package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.WorkerInit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link WorkerHandle} over real child JVMs running {@link StubWorkerMain} with the launcher's
 * flags: real pipes, real exit statuses and signals, the JDK's reaper thread.
 */
class WorkerHandleProcessTest {
    private static final WorkerInit INIT = WorkerInit.newBuilder().setWorkerId(1).setVmCount(1).build();

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
        timer.shutdownNow();
    }

    private WorkerHandle launch(int id, String mode) throws Exception {
        return launch(id, StubWorkerMain.class.getName(), mode);
    }

    private WorkerHandle launch(int id, String mainClass, String mode) throws Exception {
        List<String> command = new ArrayList<>(new WorkerLauncher(WorkerRuntime.fromSystemProperties(),
                new TestConfig().build()).command());
        command.set(command.size() - 1, mainClass);
        command.add(mode);
        Process process = WorkerLauncher.processBuilder(command).start();
        processes.add(process);
        WorkerStderr.start(id, process.getErrorStream());
        return new WorkerHandle(id, process, Duration.ofSeconds(30), Duration.ofMillis(200), Duration.ofMillis(200),
                Duration.ofSeconds(1), timer);
    }

    @Test
    void aWorkerStartsAnswersAndRetiresCleanlyTwentyTimesInARow() throws Exception {
        for (int i = 1; i <= 20; i++) {
            WorkerHandle handle = launch(i, "echo");
            assertEquals(i, handle.start(INIT.toBuilder().setWorkerId(i).build()).get(30, TimeUnit.SECONDS)
                    .getWorkerId());
            assertTrue(handle.tryReserve());
            HookResult result = handle.call(HookCall.newBuilder().setCorrelationId("c" + i).build())
                    .get(10, TimeUnit.SECONDS);
            handle.release();
            handle.retire("test done");

            assertEquals("stub", result.getVerdict().getTags(0));
            assertEquals(new WorkerExitStatus(0, null, true), handle.exit().get(10, TimeUnit.SECONDS));
            assertEquals(1, handle.executions());
        }
    }

    @Test
    void aCallThatOverrunsItsDeadlineKillsTheProcessWithSigkill() throws Exception {
        WorkerHandle handle = launch(1, "hang-calls");
        handle.start(INIT).get(30, TimeUnit.SECONDS);

        ExecutionException e = assertThrows(ExecutionException.class,
                () -> handle.call(HookCall.getDefaultInstance()).get(10, TimeUnit.SECONDS));

        assertEquals(FailureCause.TIME_LIMIT, ((WorkerGoneException) e.getCause()).failureCause());
        assertEquals(new WorkerExitStatus(137, "execution time overrun", false), handle.exit().get(10, TimeUnit.SECONDS));
    }

    @Test
    void aProcessExitingDuringACallFailsTheCallAsACrashWithItsStatus() throws Exception {
        WorkerHandle handle = launch(1, "exit-on-call:70");
        handle.start(INIT).get(30, TimeUnit.SECONDS);

        ExecutionException e = assertThrows(ExecutionException.class,
                () -> handle.call(HookCall.getDefaultInstance()).get(10, TimeUnit.SECONDS));

        WorkerGoneException gone = (WorkerGoneException) e.getCause();
        assertEquals(FailureCause.WORKER_CRASHED, gone.failureCause());
        assertEquals("worker-1 - internal error (exit 70)", gone.getMessage());
    }

    @Test
    void aProcessIgnoringShutdownAndSigtermIsForceKilled() throws Exception {
        WorkerHandle handle = launch(1, "stubborn");
        handle.start(INIT).get(30, TimeUnit.SECONDS);

        handle.retire("test done");

        WorkerExitStatus status = handle.exit().get(10, TimeUnit.SECONDS);
        assertEquals(new WorkerExitStatus(137, "did not stop within PT0.2S of SIGTERM, SIGKILL", true), status);
    }

    @Test
    void aJvmThatCannotStartFailsTheStartWithItsOwnExitStatus() throws Exception {
        WorkerHandle handle = launch(1, "no.such.WorkerMain", "echo");

        ExecutionException e = assertThrows(ExecutionException.class, () -> handle.start(INIT).get(30, TimeUnit.SECONDS));

        WorkerGoneException gone = (WorkerGoneException) e.getCause();
        assertEquals(FailureCause.WORKER_CRASHED, gone.failureCause());
        assertEquals("worker-1 - exited with status 1", gone.getMessage());
    }
}
