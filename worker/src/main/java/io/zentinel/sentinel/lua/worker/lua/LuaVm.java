package io.zentinel.sentinel.lua.worker.lua;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import io.zentinel.sentinel.lua.worker.sandbox.RunOutcome;
import io.zentinel.sentinel.lua.worker.sandbox.Sandbox;
import io.zentinel.sentinel.lua.worker.sandbox.SandboxFactory;
import io.zentinel.sentinel.lua.worker.script.Hooks;
import io.zentinel.sentinel.lua.worker.script.ScriptCatalog;
import io.zentinel.sentinel.lua.worker.script.ScriptDefinition;
import io.zentinel.sentinel.lua.worker.script.ScriptHeader;
import io.zentinel.sentinel.lua.worker.script.ScriptSelector;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.compiler.LuaC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Lua VM of the worker: a {@link Sandbox} with its {@code sentinel} table, an environment per
 * script of the {@link ScriptCatalog}, and the {@link LuaBridge} that runs calls through them.
 *
 * <p>Lifecycle, all on the VM's own thread: construct, {@link #warmUp()}, {@link #load()} (runs
 * each script's top-level code), {@link #use(ScriptSelector)} with the worker-wide selection,
 * then {@link #handle(HookCall)} for each call. A script's globals persist from call to call
 * within this VM (not across VMs). Not thread-safe.
 */
public final class LuaVm {
    /** Name of the built-in warm-up script (a resource of this jar). */
    static final String WARM_UP_RESOURCE = "/sentinel/lua/warmup.lua";
    /** The warm-up script's table of one warm-up function per library module, by module name. */
    static final String LIBRARY_WARM_UPS = "LIBRARY_WARM_UPS";
    /** The list of the modules to warm up, which the warm-up script's hook reads. */
    static final String LIBRARIES_TO_WARM = "LIBRARIES_TO_WARM";

    private static final Logger LOG = LoggerFactory.getLogger(LuaVm.class);
    private static final Prototype WARM_UP = compileWarmUp();

    /** How a script's top-level code went in this VM: the hooks it implements, or why it is left out. */
    public record ScriptLoad(ScriptDefinition script, Set<Hook> hooks, ScriptProblem problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    private final int id;
    private final ScriptCatalog catalog;
    private final Sandbox sandbox;
    private final LuaBridge bridge;
    private LuaTable[] envs;
    private ScriptSelector selector = new ScriptSelector(List.of());

    public LuaVm(int id, RunLimits limits, ScriptCatalog catalog, String agentVersion, boolean debugScripts) {
        this(id, limits, catalog, agentVersion, debugScripts, sentinel -> Map.of());
    }

    /**
     * As the public constructor, with the globals {@code extraGlobals} makes for the VM's
     * {@code sentinel} added to the library environment: for tests that give scripts a probe.
     */
    LuaVm(int id, RunLimits limits, ScriptCatalog catalog, String agentVersion, boolean debugScripts,
          Function<SentinelLib, Map<String, LuaValue>> extraGlobals) {
        this.id = id;
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        SentinelLib[] sentinel = new SentinelLib[1];
        this.sandbox = new SandboxFactory(limits).create(s -> {
            sentinel[0] = new SentinelLib(s, agentVersion);
            Map<String, LuaValue> globals = new HashMap<>(extraGlobals.apply(sentinel[0]));
            globals.put("sentinel", sentinel[0].table());
            return globals;
        });
        this.bridge = new LuaBridge(sandbox, sentinel[0], debugScripts);
        this.envs = new LuaTable[catalog.scripts().size()];
    }

    public int id() {
        return id;
    }

    public Sandbox sandbox() {
        return sandbox;
    }

    /** The scripts' environments of one {@link #loadFresh()}, with how each script's top-level code went. */
    public record ScriptEnvs(List<ScriptLoad> loads, LuaTable[] envs) {
    }

    /**
     * Runs the top-level code of every script of the catalog in a new environment of its own,
     * under the budget (the script timeout applies, not the event's), finds its hooks, and
     * serves calls from these environments from now on.
     */
    public List<ScriptLoad> load() {
        ScriptEnvs fresh = loadFresh();
        adopt(fresh);
        return fresh.loads();
    }

    /**
     * As {@link #load()}, without using the new environments yet: the VM keeps serving from its
     * current ones until {@link #adopt} says otherwise. The library environment behind them is
     * read-only, so fresh environments drop every global a script has set.
     */
    public ScriptEnvs loadFresh() {
        List<ScriptLoad> loads = new ArrayList<>(envs.length);
        LuaTable[] fresh = new LuaTable[envs.length];
        for (ScriptDefinition script : catalog.scripts()) {
            LuaTable env = sandbox.newScriptEnv();
            fresh[script.index()] = env;
            loads.add(load(script, env));
        }
        return new ScriptEnvs(List.copyOf(loads), fresh);
    }

    /** Serves calls from {@code fresh} from now on; the previous environments become garbage. */
    public void adopt(ScriptEnvs fresh) {
        if (fresh.envs().length != envs.length) {
            throw new IllegalArgumentException("environments of another script set");
        }
        envs = fresh.envs().clone();
    }

    private ScriptLoad load(ScriptDefinition script, LuaTable env) {
        RunOutcome outcome = sandbox.run(script.name(), env, sandbox.bind(script.prototype(), env), LuaValue.NONE);
        if (outcome instanceof RunOutcome.Failed f) {
            return new ScriptLoad(script, Set.of(), problem(script, ScriptCatalog.lineOf(f.message()),
                    "top-level code failed (" + f.kind() + "): " + f.message()));
        }
        Set<Hook> defined = EnumSet.noneOf(Hook.class);
        for (Hook hook : Hooks.ALL) {
            if (env.rawget(Hooks.functionName(hook)).isfunction()) {
                defined.add(hook);
            }
        }
        ScriptHeader header = script.header();
        if (!header.hooks().isEmpty()) {
            for (Hook hook : Hooks.ALL) {
                if (header.hooks().contains(hook) && !defined.contains(hook)) {
                    return new ScriptLoad(script, Set.of(), problem(script, header.hookLine(), "declares hook "
                            + Hooks.metadataName(hook) + " but defines no function " + Hooks.functionName(hook)));
                }
            }
            return new ScriptLoad(script, header.hooks(), null);
        }
        if (defined.isEmpty()) {
            return new ScriptLoad(script, Set.of(), problem(script, 0, "defines none of the hook functions ("
                    + String.join(", ", Hooks.ALL.stream().map(Hooks::functionName).toList()) + ")"));
        }
        return new ScriptLoad(script, defined, null);
    }

    /**
     * The names of the warm-up script's {@value #LIBRARY_WARM_UPS} that a script of the catalog
     * mentions, sorted, as a Lua list: only the libraries the scripts use are warmed up, since
     * they cost a new worker's start some 45 ms together, at rest, when its scripts use all six.
     */
    private LuaTable librariesToWarm(LuaValue warmUps) {
        LuaTable names = new LuaTable();
        if (warmUps instanceof LuaTable table) {
            List<String> used = Arrays.stream(table.keys())
                    .filter(key -> key.type() == LuaValue.TSTRING)
                    .map(LuaValue::tojstring)
                    .filter(catalog::mentions)
                    .sorted()
                    .toList();
            for (int i = 0; i < used.size(); i++) {
                names.rawset(i + 1, LuaValue.valueOf(used.get(i)));
            }
        }
        return names;
    }

    private static ScriptProblem problem(ScriptDefinition script, int line, String reason) {
        return ScriptProblem.newBuilder().setFileName(script.fileName()).setLine(line).setReason(reason).build();
    }

    /**
     * One run of the built-in warm-up script through the bridge with a synthetic request, its
     * result discarded: it loads and warms up the classes the first real call would otherwise
     * pay for (so do it before {@link #load()}, whose top-level runs have the script timeout).
     * It runs in an environment of its own and never touches the scripts'. A warm-up that fails
     * (a slow cold start past the timeout, say) is logged and otherwise ignored.
     *
     * <p>In VM 0 it also calls the library modules the scripts use ({@link #librariesToWarm}):
     * otherwise their first calls in a new worker ran cold inside the scripts' first calls, in
     * every VM at once on one CPU, and with workers retired often some of those calls overran
     * their deadline. Once per worker is enough: what that warms (class initialisation, the JDK's
     * security providers, the JIT's counts) belongs to the JVM, not to a VM.
     *
     * @return the result of the warm-up call, or {@code null} when its script did not load
     */
    public HookResult warmUp() {
        ScriptHeader header = new ScriptHeader("warm-up", "", Set.of(Hook.REQUEST_HEADERS), 0, List.of(), Set.of(), 0);
        ScriptDefinition script = new ScriptDefinition(0, "warmup.lua", header, WARM_UP);
        LuaTable env = sandbox.newScriptEnv();
        RunOutcome chunk = sandbox.run(script.name(), env, sandbox.bind(WARM_UP, env), LuaValue.NONE);
        if (chunk instanceof RunOutcome.Failed f) {
            LOG.warn("vm-{} - warm-up script did not load ({}), continuing without warm-up", id, f.message());
            return null;
        }
        env.rawset(LIBRARIES_TO_WARM, id == 0 ? librariesToWarm(env.rawget(LIBRARY_WARM_UPS)) : new LuaTable());
        HookCall call = HookCall.newBuilder()
                .setCallId(0)
                .setPhase(Phase.PHASE_REQUEST_HEADERS)
                .setCorrelationId("warm-up")
                .setRequest(RequestInfo.newBuilder()
                        .setMethod("GET")
                        .setUri("/warm/up?vm=" + id)
                        .setClientIp("127.0.0.1")
                        .setHeaderList(HeaderList.newBuilder()
                                .addHeaders(Header.newBuilder().setName("user-agent").addValues("warm-up"))
                                .addHeaders(Header.newBuilder().setName("accept").addValues("*/*"))
                                .build().toByteString()))
                .build();
        HookResult result = bridge.handle(call,
                new ScriptSelector(List.of(new ScriptSelector.Entry(script, header.hooks()))), new LuaTable[] {env});
        if (result.hasFailure()) {
            LOG.warn("vm-{} - warm-up call failed ({}: {}), continuing", id, result.getFailure().getKind(),
                    result.getFailure().getMessage());
        }
        return result;
    }

    /** The scripts this VM runs from now on: the worker-wide selection, built from every VM's {@link #load()}. */
    public void use(ScriptSelector selection) {
        this.selector = Objects.requireNonNull(selection, "selection");
    }

    /** Runs {@code call} through the selected scripts. */
    public HookResult handle(HookCall call) {
        return bridge.handle(call, selector, envs);
    }

    private static Prototype compileWarmUp() {
        try (InputStream in = LuaVm.class.getResourceAsStream(WARM_UP_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(WARM_UP_RESOURCE + " is missing from the worker jar");
            }
            return LuaC.instance.compile(in, "warmup.lua");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
