package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.admin.ProblemView;
import io.zentinel.sentinel.lua.supervisor.admin.ScriptView;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.config.ConfigException;
import io.zentinel.sentinel.lua.supervisor.pool.DecisionPolicy;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSetException;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerGoneException;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sentinel-lua-agent test SCRIPT --event EVENT.json}: one event through one script in a real
 * sandboxed worker JVM, without a proxy: a script's unit test. The answer goes through the same
 * {@link DecisionPolicy} as in the agent, so a failure shows the failure-mode decision.
 */
@Command(name = "test", mixinStandardHelpOptions = true,
        description = {"Run one event through one script in the real sandbox, offline, and print the decision,"
                + " header mutations, metadata, tags and what the script logged.",
            "EVENT.json: {\"phase\":\"request_headers\",\"method\":\"GET\",\"uri\":\"/api/x\","
                + "\"headers\":{\"authorization\":\"Bearer x\"},\"client_ip\":\"1.2.3.4\"}; phases request_headers,"
                + " request_body, response_headers, response_body (see docs/operations.md)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:the script ran and decided (whatever the decision)",
            " 1:internal error",
            " 2:invalid command-line arguments, or an invalid or unreadable event file",
            "69:no worker JVM could be started",
            "78:the script does not load, or failed when run (error or limit), or an invalid configuration"})
public final class TestCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SCRIPT", description = "The script file to run.")
    Path script;

    @Option(names = {"-e", "--event"}, required = true, paramLabel = "EVENT.json",
            description = "The event to run, as JSON (see above).")
    Path event;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Configuration file for the sandbox limits and safety.fail-open. Env: LUA_CONFIG.")
    Path config;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Level of this command's own log on stderr. Default: warn.")
    String logLevel;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> env = System.getenv();
        AgentConfig agent;
        try {
            AgentOptions options = new AgentOptions();
            options.config = config;
            options.logLevel = logLevel;
            agent = options.resolve(env);
        } catch (ConfigException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.CONFIG.code();
        }
        LogSetup.configure(logLevel != null ? agent.logLevel() : "warn");
        TestEvent.Parsed parsed;
        try {
            parsed = TestEvent.parse(readEvent(), agent.scripts().maxBodyBytes());
        } catch (IOException e) {
            err.println("sentinel-lua-agent: " + event + ": cannot be read: " + e.getMessage());
            return ExitCode.USAGE.code();
        } catch (TestEvent.EventFileException e) {
            err.println("sentinel-lua-agent: " + event + ": " + e.getMessage());
            return ExitCode.USAGE.code();
        }
        ScriptSet scripts;
        try {
            scripts = ScriptSet.readFile(script);
        } catch (ScriptSetException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.CONFIG.code();
        }
        OfflineWorker worker;
        try {
            // debug, so that every sentinel.log line of the script reaches the script log
            worker = OfflineWorker.start(agent.withLogLevel("debug"), WorkerRuntime.fromSystemProperties(), scripts);
        } catch (OfflineWorker.StartException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.UNAVAILABLE.code();
        }
        WorkerReady ready = worker.ready();
        HookResult result = null;
        WorkerGoneException gone = null;
        try {
            if (ready.getProblemsCount() == 0 && ready.getScriptsCount() > 0) {
                try {
                    result = worker.call(parsed.call());
                } catch (WorkerGoneException e) {
                    gone = e;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("sentinel-lua-agent: interrupted");
            return ExitCode.SOFTWARE.code();
        } finally {
            worker.close(); // the worker's stderr then ends, so the script log is complete
        }
        try {
            worker.awaitLog(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> log = worker.scriptLog();
        if (ready.getProblemsCount() > 0 || ready.getScriptsCount() == 0) {
            for (ProblemView problem : ProblemView.of(ready.getProblemsList())) {
                err.println(new ProblemView(script.toString(), problem.line(), problem.reason()).text());
            }
            if (ready.getProblemsCount() == 0) {
                err.println(script + ": no script loaded");
            }
            return ExitCode.CONFIG.code();
        }
        TestReport report = TestReport.of(ScriptView.of(ready.getScripts(0)), parsed,
                new DecisionPolicy(agent.safety()), result, gone, log);
        if (json) {
            out.println(report.json());
        } else {
            report.print(out, Style.detect(env));
        }
        out.flush();
        return report.failed() ? ExitCode.CONFIG.code() : ExitCode.OK.code();
    }

    private byte[] readEvent() throws IOException {
        try (InputStream in = Files.newInputStream(event)) {
            byte[] content = in.readNBytes(TestEvent.MAX_FILE_BYTES + 1);
            if (content.length > TestEvent.MAX_FILE_BYTES) {
                throw new IOException("larger than " + TestEvent.MAX_FILE_BYTES + " bytes");
            }
            return content;
        }
    }
}
