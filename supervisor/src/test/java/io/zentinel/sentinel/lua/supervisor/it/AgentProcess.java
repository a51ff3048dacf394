package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.cli.CliRun;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The agent as its own process ({@code run --config}) on this test's class path, for tests that
 * signal it or give its JVM options; its stdout and stderr go to {@code agent.out} and
 * {@code agent.err} in a directory.
 */
final class AgentProcess {
    private AgentProcess() {
    }

    static Process start(Path config, Path outputDir, String... jvmOptions) throws IOException {
        List<String> command = new ArrayList<>(List.of(WorkerRuntime.currentJava(), "--enable-native-access=ALL-UNNAMED"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "io.zentinel.sentinel.lua.supervisor.SupervisorMain", "run", "--config", config.toString()));
        return new ProcessBuilder(command)
                .redirectOutput(outputDir.resolve("agent.out").toFile())
                .redirectError(outputDir.resolve("agent.err").toFile())
                .start();
    }

    /**
     * Runs an agent of one worker and no scripts in {@code run} (its configuration, sockets and
     * output go there) until its admin socket has answered {@code status} once, then stops it
     * with SIGTERM and checks that it exited 0.
     */
    static void serveUntilStatusAnswers(Path run, String... jvmOptions) throws Exception {
        Path admin = run.resolve("admin.sock");
        Files.createDirectories(run.resolve("scripts"));
        Path config = Files.writeString(run.resolve("agent.kdl"), "socket-path \"" + run.resolve("agent.sock")
                + "\"\nscripts { directory \"scripts\" }\nworkers { count 1 }\nvm-pool { size 1 }\n"
                + "admin { socket-path \"" + admin + "\" }\n");
        Process agent = start(config, run, jvmOptions);
        try {
            Await.until("agent answers status", Duration.ofSeconds(60), () -> agent.isAlive()
                    && CliRun.of("status", "--admin-socket", admin.toString()).exitCode() == 0);
            agent.destroy();
            assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "agent stopped");
            assertEquals(0, agent.exitValue(), output(run));
        } finally {
            agent.destroyForcibly();
        }
    }

    /** Sends {@code signal} ({@code -STOP}, {@code -HUP} …) with kill(1); fails the test if that fails. */
    static void signal(Process agent, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, String.valueOf(agent.pid())).start();
        assertTrue(kill.waitFor(60, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill " + signal + " sent");
    }

    /** What the process started with {@code outputDir} wrote: stdout, then stderr. */
    static String output(Path outputDir) throws IOException {
        return Files.readString(outputDir.resolve("agent.out")) + Files.readString(outputDir.resolve("agent.err"));
    }
}
