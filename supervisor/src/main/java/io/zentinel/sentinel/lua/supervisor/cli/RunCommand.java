package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.admin.AdminSocketException;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.config.ConfigException;
import io.zentinel.sentinel.lua.supervisor.pool.ClassArchive;
import io.zentinel.sentinel.lua.supervisor.pool.PoolStartException;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSetException;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import io.zentinel.sentinel.lua.supervisor.proxy.SocketInUseException;
import io.zentinel.sentinel.lua.supervisor.watch.OldGenerationWatch;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code sentinel-lua-agent run}: start the agent and serve until SIGTERM or SIGINT; SIGHUP reloads the scripts. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Start the agent: workers on the scripts, then the proxy socket (the default command).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:clean shutdown (SIGTERM or SIGINT; SIGHUP reloads the scripts)",
            " 1:internal error",
            " 2:invalid command-line arguments",
            "69:socket or admin socket in use by a running agent, or no worker could start",
            "78:invalid configuration or unreadable scripts directory"})
public final class RunCommand implements Callable<Integer> {

    @Mixin
    AgentOptions options = new AgentOptions();

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;

    public RunCommand() {
        this(System.getenv());
    }

    RunCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() {
        return run(options, env, spec.commandLine().getErr());
    }

    /** Runs the agent with {@code options} until it is stopped; returns the exit status. */
    public static int run(AgentOptions options, Map<String, String> env, PrintWriter err) {
        AgentConfig config;
        try {
            config = options.resolve(env);
        } catch (ConfigException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.CONFIG.code();
        }
        LogSetup.configure(config.logLevel());
        HangupReload hangup = HangupReload.install();
        Supervisor supervisor;
        try {
            supervisor = Supervisor.start(config, ClassArchive.applyTo(WorkerRuntime.fromSystemProperties(), config));
        } catch (ScriptSetException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.CONFIG.code();
        } catch (SocketInUseException | AdminSocketException | PoolStartException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.UNAVAILABLE.code();
        } catch (IOException e) {
            err.println("sentinel-lua-agent: cannot listen on " + config.socketPath() + ": " + e.getMessage());
            return ExitCode.UNAVAILABLE.code();
        }
        stopOnSignals(supervisor);
        Supervisor serving = supervisor;
        hangup.serving(() -> serving.reload("SIGHUP"));
        Optional<OldGenerationWatch> memory = OldGenerationWatch.forThisJvm().map(OldGenerationWatch::start);
        try {
            supervisor.awaitClosed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            supervisor.close();
        } finally {
            memory.ifPresent(OldGenerationWatch::close);
        }
        return ExitCode.OK.code();
    }

    /**
     * SIGTERM and SIGINT stop the agent gracefully and the command then exits 0 (SIGHUP:
     * {@link HangupReload}). A shutdown hook covers other ways the JVM may be told to exit, so the
     * socket file is removed in any case.
     */
    private static void stopOnSignals(Supervisor supervisor) {
        Runnable stop = () -> Thread.ofPlatform().name("supervisor-stop").start(supervisor::close);
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> stop.run());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(supervisor::close, "supervisor-shutdown-hook"));
    }
}
