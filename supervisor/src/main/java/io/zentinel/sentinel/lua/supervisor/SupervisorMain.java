package io.zentinel.sentinel.lua.supervisor;

import io.zentinel.sentinel.lua.supervisor.cli.AgentOptions;
import io.zentinel.sentinel.lua.supervisor.cli.BenchCommand;
import io.zentinel.sentinel.lua.supervisor.cli.CheckCommand;
import io.zentinel.sentinel.lua.supervisor.cli.ClassArchiveCommand;
import io.zentinel.sentinel.lua.supervisor.cli.ReloadCommand;
import io.zentinel.sentinel.lua.supervisor.cli.RunCommand;
import io.zentinel.sentinel.lua.supervisor.cli.StatusCommand;
import io.zentinel.sentinel.lua.supervisor.cli.TestCommand;
import io.zentinel.sentinel.lua.supervisor.cli.VersionCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code sentinel-lua-agent}: with no subcommand it runs the agent, so the seed's command line
 * ({@code sentinel-lua-agent --socket … --scripts …}) works unchanged.
 */
@Command(name = "sentinel-lua-agent", mixinStandardHelpOptions = true, versionProvider = VersionCommand.class,
        description = "Lua scripting agent for the Sentinel reverse proxy.",
        subcommands = {RunCommand.class, StatusCommand.class, ReloadCommand.class, CheckCommand.class,
            TestCommand.class, VersionCommand.class, BenchCommand.class, ClassArchiveCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:clean shutdown",
            " 1:internal error",
            " 2:invalid command-line arguments",
            "69:socket (or admin socket) in use by a running agent, or no worker could start",
            "78:invalid configuration or unreadable scripts directory"})
public final class SupervisorMain implements Callable<Integer> {

    @Mixin
    AgentOptions options = new AgentOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return RunCommand.run(options, System.getenv(), spec.commandLine().getErr());
    }

    /** Builds the command line; tests execute it with their own streams. */
    public static CommandLine commandLine() {
        return new CommandLine(new SupervisorMain()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
