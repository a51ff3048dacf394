package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.bench.AgentLogWarnings;
import io.zentinel.sentinel.lua.supervisor.bench.BenchReport;
import io.zentinel.sentinel.lua.supervisor.bench.BenchResults;
import io.zentinel.sentinel.lua.supervisor.bench.MachineInfo;
import io.zentinel.sentinel.lua.supervisor.bench.WorkerStarts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sentinel-lua-agent bench report}: the markdown report of a benchmark run's JSON lines. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write the markdown report of a benchmark run from its results file (the JSON lines of"
                + " 'bench --json' runs and of script-engine measurements), with this machine's description.")
public final class BenchReportCommand implements Callable<Integer> {

    @Option(names = "--results", required = true, paramLabel = "FILE", description = "Results file: one JSON object per line.")
    Path results;

    @Option(names = "--out", paramLabel = "FILE", description = "Markdown file to write; standard output when absent.")
    Path out;

    @Option(names = "--title", defaultValue = "Sentinel Lua agent benchmark", description = "Title. Default: ${DEFAULT-VALUE}.")
    String title;

    @Option(names = "--note", paramLabel = "TEXT", description = "A line under the title (date, mode, commit, ...); repeatable.")
    List<String> notes = new ArrayList<>();

    @Option(names = "--agent-log", paramLabel = "SCENARIO=FILE", description = "The log of the agent that ran"
            + " SCENARIO, for its workers' start times and its warnings; repeatable, in report order.")
    Map<String, Path> agentLogs = new LinkedHashMap<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        BenchResults parsed;
        try {
            parsed = BenchResults.parse(Files.readAllLines(results, StandardCharsets.UTF_8));
        } catch (IOException e) {
            spec.commandLine().getErr().println("sentinel-lua-agent bench report: cannot read " + results + ": " + e);
            return ExitCode.USAGE.code();
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("sentinel-lua-agent bench report: " + results + ": " + e.getMessage());
            return ExitCode.USAGE.code();
        }
        List<WorkerStarts> starts = new ArrayList<>();
        List<AgentLogWarnings> warnings = new ArrayList<>();
        for (Map.Entry<String, Path> log : agentLogs.entrySet()) {
            try {
                List<String> lines = Files.readAllLines(log.getValue(), StandardCharsets.UTF_8);
                starts.add(WorkerStarts.fromLog(log.getKey(), lines));
                warnings.add(AgentLogWarnings.fromLog(log.getKey(), lines));
            } catch (IOException e) {
                spec.commandLine().getErr().println("sentinel-lua-agent bench report: cannot read " + log.getValue()
                        + ": " + e);
                return ExitCode.USAGE.code();
            }
        }
        String markdown = new BenchReport(parsed, MachineInfo.detect(), title, notes, starts, warnings).markdown();
        if (out == null) {
            spec.commandLine().getOut().print(markdown);
            spec.commandLine().getOut().flush();
            return ExitCode.OK.code();
        }
        try {
            Files.writeString(out, markdown, StandardCharsets.UTF_8);
            return ExitCode.OK.code();
        } catch (IOException e) {
            spec.commandLine().getErr().println("sentinel-lua-agent bench report: cannot write " + out + ": " + e);
            return ExitCode.SOFTWARE.code();
        }
    }
}
