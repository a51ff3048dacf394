package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminClient;
import io.zentinel.sentinel.lua.supervisor.admin.AdminJson;
import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol;
import io.zentinel.sentinel.lua.supervisor.admin.ReloadReport;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sentinel-lua-agent reload}: the running agent reloads its scripts directory. */
@Command(name = "reload", mixinStandardHelpOptions = true,
        description = {"Ask the running agent to reload its scripts directory (as SIGHUP does).",
            "The new scripts are validated in new workers first; if any script fails, the running scripts"
                + " keep serving and the problems are printed as file:line: reason."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:reload accepted: the new scripts serve",
            " 1:internal error, or an answer that cannot be read",
            " 2:invalid command-line arguments",
            "69:no agent answers on the admin socket, it refused this user, or it did not answer in time",
            "78:reload rejected (script problems), or an invalid configuration file"})
public final class ReloadCommand implements Callable<Integer> {

    @Mixin
    AdminTarget target = new AdminTarget();

    @Option(names = "--json", description = "Print the agent's answer as JSON, for machines.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> env = System.getenv();
        return target.exchange(AdminProtocol.Command.RELOAD, env, err, body -> {
            ReloadReport report = AdminClient.convert(body, ReloadReport.class);
            if (json) {
                out.println(AdminJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(body));
            } else {
                new StatusPrinter(out, Style.detect(env)).reload(report, err);
            }
            out.flush();
            return report.accepted() ? ExitCode.OK.code() : ExitCode.CONFIG.code();
        });
    }
}
