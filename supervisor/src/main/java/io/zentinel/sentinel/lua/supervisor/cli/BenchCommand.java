package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.bench.LoadGenerator;
import io.zentinel.sentinel.lua.supervisor.bench.LoadResult;
import io.zentinel.sentinel.lua.supervisor.bench.Workload;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sentinel-lua-agent bench}: load a running agent like the proxy does and print the figures. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        subcommands = BenchReportCommand.class,
        description = {"Load a running agent like the Sentinel proxy does (pipelined events on several"
                + " connections) and print throughput, latency percentiles, the agent's CPU per decision and"
                + " its resident memory.",
            "Any server of agent protocol v2 on a Unix socket can be loaded, which is how"
                + " supervisor/src/bench/run-benchmarks.sh measures its floors and comparisons;"
                + " 'bench report' turns the --json lines of such a run into a report."})
public final class BenchCommand implements Callable<Integer> {

    /** The event type of a run. */
    enum Events { headers, body }

    @Option(names = {"-s", "--socket"}, paramLabel = "PATH", defaultValue = "/tmp/sentinel-lua.sock",
            description = "Agent socket. Default: ${DEFAULT-VALUE}.")
    Path socket;

    @Option(names = "--connections", defaultValue = "4",
            description = "Connections (the proxy opens 4); with fewer events in flight than connections some stay idle."
                    + " Default: ${DEFAULT-VALUE}.")
    int connections;

    @Option(names = "--concurrency", defaultValue = "16", description = "Events in flight over all connections. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds, not measured. Default: ${DEFAULT-VALUE}.")
    int warmupSeconds;

    @Option(names = "--duration", defaultValue = "10", description = "Measured seconds. Default: ${DEFAULT-VALUE}.")
    int durationSeconds;

    @Option(names = "--events", defaultValue = "headers",
            description = "headers: RequestHeaders events; body: RequestBodyChunk events carrying a whole body of"
                    + " --body-bytes (one event per body, as the proxy sends an inspected body). Default: ${DEFAULT-VALUE}.")
    Events events;

    @Option(names = "--body-bytes", defaultValue = "65536", description = "Body length of body events. Default: ${DEFAULT-VALUE}.")
    int bodyBytes;

    @Option(names = "--method", defaultValue = "GET", description = "Request method. Default: ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--uri", defaultValue = "/api/users?id=42", description = "Request URI. Default: ${DEFAULT-VALUE}.")
    String uri;

    @Option(names = "--request", paramLabel = "'METHOD URI'",
            description = "A request of the mix, e.g. 'POST /api/orders/7'; repeat it for several, which are sent in"
                    + " turn. Replaces --method and --uri.")
    List<String> requests = new ArrayList<>();

    @Option(names = "--headers", defaultValue = "20", description = "Request headers per event. Default: ${DEFAULT-VALUE}.")
    int headers;

    @Option(names = "--json", description = "Print the result as one line of JSON instead of text.")
    boolean json;

    @Option(names = "--tag", paramLabel = "KEY=VALUE",
            description = "A label copied into the JSON result (e.g. target=agent); repeatable.")
    Map<String, String> tags = new LinkedHashMap<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        LoadGenerator.Plan plan;
        try {
            List<Workload.Request> mix = new ArrayList<>();
            if (requests.isEmpty()) {
                mix.add(new Workload.Request(method, uri));
            } else {
                for (String r : requests) {
                    mix.add(Workload.Request.parse(r));
                }
            }
            Workload workload = events == Events.body
                    ? new Workload(Workload.Kind.REQUEST_BODY, mix, headers, bodyBytes)
                    : new Workload(Workload.Kind.REQUEST_HEADERS, mix, headers, 0);
            plan = new LoadGenerator.Plan(socket, connections, concurrency,
                    Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(durationSeconds), workload);
        } catch (IllegalArgumentException e) {
            err.println("sentinel-lua-agent bench: " + e.getMessage());
            return ExitCode.USAGE.code();
        }
        try {
            LoadResult result = new LoadGenerator(plan).run();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(result.toJson(tags));
                out.flush();
            } else {
                result.print(out);
            }
            return result.errors() == 0 ? ExitCode.OK.code() : ExitCode.SOFTWARE.code();
        } catch (IOException e) {
            err.println("sentinel-lua-agent bench: cannot load " + socket + ": " + e.getMessage());
            return ExitCode.UNAVAILABLE.code();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.SOFTWARE.code();
        }
    }
}
