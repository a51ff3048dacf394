package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.config.ConfigException;
import io.zentinel.sentinel.lua.supervisor.config.WorkerConfig;
import io.zentinel.sentinel.lua.supervisor.pool.ArchiveFormat;
import io.zentinel.sentinel.lua.supervisor.pool.ClassArchive;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSetException;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerGoneException;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerLauncher;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sentinel-lua-agent class-archive [DIR]}: writes the workers' class archive (see
 * {@link ClassArchive}) from a training run: a real worker, started exactly as the agent starts
 * its workers plus the training flags of the runtime's {@link ArchiveFormat}, loads the scripts of
 * DIR and a training script of its own that calls every library module ({@link #LIBRARY_TRAINING}),
 * runs a few events of every phase through them, then stops; the JVM writes the archive,
 * or for an AOT cache the record a second JVM assembles it from, as it exits. The archive is then
 * tried as the agent would, and moved into place only if it maps.
 */
@Command(name = "class-archive", mixinStandardHelpOptions = true,
        description = {"Write the worker JVMs' class archive (the AOT cache on Java 25 and newer, before that an"
                + " AppCDS archive) from a training run: a real worker loads the scripts of DIR, and a script of the"
                + " command's own that calls every library module, and runs sample events of every phase through them.",
            "The agent maps the archive into every worker it starts when its Java runtime and worker jars are those"
                + " the archive was written with; workers then start faster. The packages ship one; write a new one"
                + " after changing the Java runtime or the jars."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:the archive was written and maps into this Java runtime",
            " 1:internal error",
            " 2:invalid command-line arguments, or no --output outside an installation",
            "69:no worker JVM could be started, or it wrote no usable archive",
            "78:the scripts directory cannot be read, or the configuration is invalid"})
public final class ClassArchiveCommand implements Callable<Integer> {

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Where to write the archive. Default: the one the agent uses, lib/worker/worker.jsa of"
                    + " this installation.")
    Path output;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Configuration file (KDL): its scripts.directory and the workers' settings. Env: LUA_CONFIG.")
    Path config;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Level of this command's own log on stderr. Default: warn.")
    String logLevel;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR",
            description = "Scripts directory of the training run. Default: scripts.directory.")
    Path scripts;

    @Spec
    CommandSpec spec;

    /** The training script that calls every library module, a resource of this jar under {@code /sentinel/lua/}. */
    static final String LIBRARY_TRAINING = "class-archive-libraries.lua";

    /**
     * The training events: each phase, routed and unrouted paths, with and without the headers the
     * example scripts look at, a block and an error status. Which scripts run depends on their
     * metadata; the JVM's classes are what matters, and a few calls load them.
     */
    static final List<String> TRAINING_EVENTS = List.of(
            """
            {"phase": "request_headers", "method": "GET", "uri": "/api/users?id=42",
             "headers": {"authorization": "Bearer t0ken", "accept": ["application/json", "text/plain"],
                         "user-agent": "curl/8.5", "x-forwarded-for": "10.0.0.1"}}""",
            """
            {"phase": "request_headers", "method": "POST", "uri": "/api/orders", "headers": {"content-type": "application/json"}}""",
            """
            {"phase": "request_headers", "method": "GET", "uri": "/admin/settings", "client_ip": "192.0.2.7"}""",
            """
            {"phase": "request_headers", "method": "GET", "uri": "/static/logo.png"}""",
            """
            {"phase": "request_body", "method": "POST", "uri": "/api/orders", "body": "{\\"item\\": 7, \\"qty\\": [1, 2]}"}""",
            """
            {"phase": "response_headers", "status": 200, "headers": {"content-type": "text/html"},
             "request": {"method": "GET", "uri": "/index.html"}}""",
            """
            {"phase": "response_headers", "status": 404, "request": {"method": "GET", "uri": "/missing"}}""",
            """
            {"phase": "response_body", "status": 200, "body": "<html>ok</html>", "request": {"uri": "/index.html"}}""");

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        AgentConfig agent;
        try {
            AgentOptions options = new AgentOptions();
            options.config = config;
            options.logLevel = logLevel;
            agent = options.resolve(System.getenv());
        } catch (ConfigException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.CONFIG.code();
        }
        String level = logLevel != null ? agent.logLevel() : "warn";
        LogSetup.configure(level);
        Path target = output != null ? output : installedArchive();
        if (target == null) {
            err.println("sentinel-lua-agent: no --output given, and this is not an installation (the launcher sets"
                    + " -D" + ClassArchive.PROPERTY + ")");
            return ExitCode.USAGE.code();
        }
        Path dir = scripts != null ? scripts : agent.scripts().directory();
        ScriptSet set;
        try {
            set = ScriptSet.read(dir);
        } catch (ScriptSetException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.CONFIG.code();
        }
        long begin = System.nanoTime();
        Path written = target.toAbsolutePath().resolveSibling(target.getFileName() + ".new");
        try {
            Files.createDirectories(written.getParent());
            Files.deleteIfExists(written);
            WorkerRuntime plain = WorkerRuntime.fromSystemProperties();
            int events = train(agent.withLogLevel(level), plain, withLibraryTraining(set), written);
            List<String> workerCommand = new WorkerLauncher(plain, agent).command();
            Optional<String> unassembled = ClassArchive.assemble(workerCommand, written);
            if (unassembled.isPresent()) {
                err.println("sentinel-lua-agent: the archive could not be made from the training run: "
                        + unassembled.get());
                return ExitCode.UNAVAILABLE.code();
            }
            if (!Files.isRegularFile(written) || Files.size(written) == 0) {
                err.println("sentinel-lua-agent: the worker JVM wrote no archive to " + written
                        + " (run with --log-level info to see its output)");
                return ExitCode.UNAVAILABLE.code();
            }
            Optional<String> refused = ClassArchive.refusal(workerCommand, written);
            if (refused.isPresent()) {
                err.println("sentinel-lua-agent: the archive written does not map into a worker: " + refused.get());
                return ExitCode.UNAVAILABLE.code();
            }
            Path jars = ClassArchive.jarList(written);
            Files.writeString(jars, ClassArchive.describeJars(plain.classpath()));
            for (Path file : List.of(written, jars)) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            }
            // the list first: an archive is only used beside a list that matches it
            Files.move(jars, ClassArchive.jarList(target), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            Files.move(written, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            out.printf("class archive %s written (%s) in %s: a worker on %s and %s, %d events%n", target,
                    Figures.bytes(Files.size(target)), Figures.millis((System.nanoTime() - begin) / 1_000_000),
                    StatusPrinter.plural(set.sources().size(), "script file"), LIBRARY_TRAINING, events);
            return ExitCode.OK.code();
        } catch (OfflineWorker.StartException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.UNAVAILABLE.code();
        } catch (WorkerGoneException e) {
            err.println("sentinel-lua-agent: the training worker ended during an event: " + e.getMessage());
            return ExitCode.UNAVAILABLE.code();
        } catch (IOException e) {
            err.println("sentinel-lua-agent: cannot write " + target + ": " + e.getMessage());
            return ExitCode.UNAVAILABLE.code();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("sentinel-lua-agent: interrupted");
            return ExitCode.SOFTWARE.code();
        } finally {
            for (Path leftover : List.of(written, ArchiveFormat.record(written), ClassArchive.jarList(written))) {
                try {
                    Files.deleteIfExists(leftover);
                } catch (IOException e) {
                    err.println("sentinel-lua-agent: cannot remove " + leftover + ": " + e.getMessage());
                }
            }
            out.flush();
            err.flush();
        }
    }

    /**
     * {@code scripts} and {@value #LIBRARY_TRAINING}, which calls every library module: the
     * workers warm up the modules their scripts use before they report ready, and the archive
     * should hold those classes whichever modules that is.
     */
    static ScriptSet withLibraryTraining(ScriptSet scripts) {
        String source;
        try (InputStream in = ClassArchiveCommand.class.getResourceAsStream("/sentinel/lua/" + LIBRARY_TRAINING)) {
            if (in == null) {
                throw new IllegalStateException(LIBRARY_TRAINING + " is missing from the supervisor's jar");
            }
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + LIBRARY_TRAINING, e);
        }
        List<ScriptSource> sources = new ArrayList<>(scripts.sources());
        sources.add(ScriptSource.newBuilder().setFileName(LIBRARY_TRAINING).setSource(source).build());
        return ScriptSet.of(sources);
    }

    /** The archive the agent would use, from the launcher's property; {@code null} outside an installation. */
    private static Path installedArchive() {
        String property = System.getProperty(ClassArchive.PROPERTY);
        return property == null || property.isBlank() ? null : Path.of(property);
    }

    /**
     * Runs the training worker: started on {@code plain} as the agent starts one, plus the training flags, with
     * patient timing (the archive or record is written after Shutdown, as the JVM exits), then the events,
     * then a graceful stop. Returns the number of events run.
     */
    static int train(AgentConfig agent, WorkerRuntime plain, ScriptSet scripts, Path archive)
            throws OfflineWorker.StartException, WorkerGoneException, InterruptedException {
        WorkerConfig w = agent.workers();
        Duration patient = Duration.ofSeconds(60);
        AgentConfig training = agent.withWorkers(new WorkerConfig(w.count(), w.vmsPerWorker(), w.heapBytes(),
                w.memoryBytes(), w.cpuPercent(), w.pidsMax(), patient, patient, w.heartbeatInterval(), w.nice(),
                WorkerConfig.NO_CPU_LIMIT, w.maxAge(), w.maxExecutions(), 0));
        List<String> flags = new ArrayList<>(plain.extraJvmArgs());
        flags.addAll(ArchiveFormat.current().trainingFlags(archive));
        WorkerRuntime runtime = new WorkerRuntime(plain.javaCommand(), plain.classpath(), flags);
        int events = 0;
        try (OfflineWorker worker = OfflineWorker.start(training, runtime, scripts)) {
            for (String event : TRAINING_EVENTS) {
                HookCall call;
                try {
                    call = TestEvent.parse(event.getBytes(StandardCharsets.UTF_8), agent.scripts().maxBodyBytes()).call();
                } catch (TestEvent.EventFileException e) {
                    throw new IllegalStateException("training event does not parse: " + e.getMessage(), e);
                }
                if (worker.ready().getScriptsCount() > 0) {
                    worker.call(call);
                    events++;
                }
            }
        }
        return events;
    }
}
