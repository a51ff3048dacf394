package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.bench.LoadGenerator;
import io.zentinel.sentinel.lua.supervisor.bench.LoadResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sentinel-lua-agent bench}: load a running agent like the proxy does and print the figures. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Load a running agent like the Sentinel proxy does (pipelined RequestHeaders on several"
                + " connections) and print throughput, latency percentiles and the agent's CPU per decision.")
public final class BenchCommand implements Callable<Integer> {

    @Option(names = {"-s", "--socket"}, paramLabel = "PATH", defaultValue = "/tmp/sentinel-lua.sock",
            description = "Agent socket. Default: ${DEFAULT-VALUE}.")
    Path socket;

    @Option(names = "--connections", defaultValue = "4", description = "Connections (the proxy opens 4). Default: ${DEFAULT-VALUE}.")
    int connections;

    @Option(names = "--concurrency", defaultValue = "16", description = "Events in flight over all connections. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds, not measured. Default: ${DEFAULT-VALUE}.")
    int warmupSeconds;

    @Option(names = "--duration", defaultValue = "10", description = "Measured seconds. Default: ${DEFAULT-VALUE}.")
    int durationSeconds;

    @Option(names = "--method", defaultValue = "GET", description = "Request method. Default: ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--uri", defaultValue = "/api/users?id=42", description = "Request URI. Default: ${DEFAULT-VALUE}.")
    String uri;

    @Option(names = "--headers", defaultValue = "20", description = "Request headers per event. Default: ${DEFAULT-VALUE}.")
    int headers;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        LoadGenerator.Plan plan;
        try {
            plan = new LoadGenerator.Plan(socket, connections, Math.max(concurrency, connections),
                    Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(durationSeconds), method, uri, headers);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("sentinel-lua-agent bench: " + e.getMessage());
            return ExitCode.USAGE.code();
        }
        try {
            LoadResult result = new LoadGenerator(plan).run();
            result.print(spec.commandLine().getOut());
            return result.errors() == 0 ? ExitCode.OK.code() : ExitCode.SOFTWARE.code();
        } catch (IOException e) {
            spec.commandLine().getErr().println("sentinel-lua-agent bench: cannot load " + socket + ": " + e.getMessage());
            return ExitCode.UNAVAILABLE.code();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.SOFTWARE.code();
        }
    }
}
