package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminClient;
import io.zentinel.sentinel.lua.supervisor.admin.AdminJson;
import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol;
import io.zentinel.sentinel.lua.supervisor.admin.StatusReport;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sentinel-lua-agent status}: workers, scripts, the last reload and totals of the running agent. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show the running agent's workers, scripts, last reload and totals.",
            "Asks the agent over its admin socket; RSS and CPU %% are measured by the agent (oshi)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:the agent answered",
            " 1:internal error, or an answer that cannot be read",
            " 2:invalid command-line arguments",
            "69:no agent answers on the admin socket, or it refused this user",
            "78:invalid configuration file"})
public final class StatusCommand implements Callable<Integer> {

    @Mixin
    AdminTarget target = new AdminTarget();

    @Option(names = "--json", description = "Print the agent's answer as JSON, for machines.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> env = System.getenv();
        return target.exchange(AdminProtocol.Command.STATUS, env, spec.commandLine().getErr(), body -> {
            if (json) {
                out.println(AdminJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(body));
            } else {
                new StatusPrinter(out, Style.detect(env)).status(AdminClient.convert(body, StatusReport.class));
            }
            out.flush();
            return ExitCode.OK.code();
        });
    }
}
