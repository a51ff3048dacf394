package io.zentinel.sentinel.lua.supervisor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminJson;
import io.zentinel.sentinel.lua.supervisor.admin.ProblemView;
import io.zentinel.sentinel.lua.supervisor.admin.ScriptView;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.config.ConfigException;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSetException;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sentinel-lua-agent check [DIR|FILE]}: loads scripts in a real worker JVM, as a reload
 * would (compile, metadata, top-level code, a warm-up run), and reports every problem.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Compile and lint scripts in a sandboxed worker JVM, as the agent loads them.",
            "Prints each problem as file:line: reason (on stderr) and the scripts that loaded (on stdout).",
            "Checks the configured scripts directory when no DIR or FILE is given."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:every script loaded (or there is none)",
            " 1:internal error",
            " 2:invalid command-line arguments",
            "69:no worker JVM could be started",
            "78:a script has a problem, the path cannot be read, or the configuration is invalid"})
public final class CheckCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Configuration file (KDL): its scripts.directory and sandbox limits. Env: LUA_CONFIG.")
    Path config;

    @Option(names = "--scripts", paramLabel = "DIR",
            description = "Scripts directory to check when no DIR or FILE is given. Env: LUA_SCRIPTS_DIR.")
    Path scripts;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Level of this command's own log on stderr. Default: warn.")
    String logLevel;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR|FILE",
            description = "A scripts directory (its *.lua files) or one script file. Default: scripts.directory.")
    Path target;

    @Option(names = "--json", description = "Print the scripts and problems as JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> env = System.getenv();
        AgentConfig config;
        try {
            AgentOptions options = new AgentOptions();
            options.config = this.config;
            options.scripts = scripts;
            options.logLevel = logLevel;
            config = options.resolve(env);
        } catch (ConfigException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.CONFIG.code();
        }
        String level = logLevel != null ? config.logLevel() : "warn";
        LogSetup.configure(level);
        Path path = target != null ? target : config.scripts().directory();
        boolean directory = target == null || Files.isDirectory(path); // the configured one is always a directory
        ScriptSet set;
        try {
            set = directory ? ScriptSet.read(path) : ScriptSet.readFile(path);
        } catch (ScriptSetException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.CONFIG.code();
        }
        WorkerReady ready = WorkerReady.getDefaultInstance();
        if (!set.sources().isEmpty()) {
            try (OfflineWorker worker = OfflineWorker.start(config.withLogLevel(level),
                    WorkerRuntime.fromSystemProperties(), set)) {
                ready = worker.ready();
            } catch (OfflineWorker.StartException e) {
                err.println("sentinel-lua-agent: " + e.getMessage());
                return ExitCode.UNAVAILABLE.code();
            }
        }
        List<ScriptView> loaded = ScriptView.of(ready.getScriptsList());
        List<ProblemView> problems = ProblemView.of(ready.getProblemsList()).stream()
                .map(p -> new ProblemView(directory ? path.resolve(p.file()).toString() : path.toString(), p.line(),
                        p.reason()))
                .toList();
        if (json) {
            ObjectNode node = AdminJson.mapper().createObjectNode().put("path", path.toString())
                    .put("files", set.sources().size());
            node.set("scripts", AdminJson.mapper().valueToTree(loaded));
            node.set("problems", AdminJson.mapper().valueToTree(problems));
            try {
                out.println(AdminJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(node));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            print(out, err, path, set, loaded, problems);
        }
        out.flush();
        err.flush();
        return problems.isEmpty() ? ExitCode.OK.code() : ExitCode.CONFIG.code();
    }

    private void print(PrintWriter out, PrintWriter err, Path path, ScriptSet scripts, List<ScriptView> loaded,
                       List<ProblemView> problems) {
        Style style = Style.detect(System.getenv());
        for (ProblemView problem : problems) {
            err.println(problem.text());
        }
        if (scripts.sources().isEmpty()) {
            out.println("no *.lua script in " + path);
            return;
        }
        out.println(loaded.size() + " of " + StatusPrinter.plural(scripts.sources().size(), "script file")
                + " loaded from " + path + (loaded.isEmpty() ? "" : ":"));
        if (!loaded.isEmpty()) {
            new StatusPrinter(out, style).scriptTable(loaded, "  ");
        }
        out.println(problems.isEmpty() ? style.green("no problems")
                : style.red(StatusPrinter.plural(problems.size(), "problem")));
    }
}
