package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The agent as its own process ({@code run --config}) on this test's class path, for tests that
 * signal it; its stdout and stderr go to {@code agent.out} and {@code agent.err} in a directory.
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
