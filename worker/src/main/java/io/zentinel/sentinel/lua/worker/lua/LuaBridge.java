package io.zentinel.sentinel.lua.worker.lua;

import java.util.List;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.ExecutionStats;
import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.ScriptFailure;
import io.zentinel.sentinel.lua.worker.sandbox.BudgetExceededError;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import io.zentinel.sentinel.lua.worker.sandbox.RunOutcome;
import io.zentinel.sentinel.lua.worker.sandbox.Sandbox;
import io.zentinel.sentinel.lua.worker.script.Hooks;
import io.zentinel.sentinel.lua.worker.script.ScriptDefinition;
import io.zentinel.sentinel.lua.worker.script.ScriptSelector;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link HookCall} through the scripts of a VM and answers with a {@link HookResult}.
 *
 * <p>Phases and hooks: {@code PHASE_REQUEST_HEADERS} runs {@code on_request_headers(request)};
 * {@code PHASE_REQUEST_BODY} runs {@code on_request_body_chunk(request, chunk, is_last)} and,
 * when the chunk completes the body, {@code on_request_body(request, body)};
 * {@code PHASE_RESPONSE_HEADERS} runs {@code on_response_headers(response)};
 * {@code PHASE_RESPONSE_BODY} runs {@code on_response_body(response, body)} once the body is
 * complete. During a run the script's environment also has the globals {@code request} (and
 * {@code response} in the response phases), for scripts written for the Rust agent; whatever
 * the script itself kept under those names is put back afterwards.
 *
 * <p>Chain: every script the {@link ScriptSelector} picks runs in order; after each one its
 * returned table (if any) is applied ({@link ReturnedTable}); a block or redirect ends the
 * chain. Header mutations, metadata and tags of all scripts that ran are merged in order; every
 * script that ran adds the audit tag {@code lua:<name>} and appears in {@code scripts_run}. A
 * script error or a limit ends the call with a {@link ScriptFailure} (kind, script, message, and
 * for a limit its key and figures, and how long the script ran) and discards everything the
 * call's scripts decided, {@code sentinel.ctx} included.
 */
final class LuaBridge {
    /** Prefix of the audit tag each script that ran adds: {@code lua:<name>}. */
    static final String RUN_TAG_PREFIX = "lua:";

    private static final Logger LOG = LoggerFactory.getLogger(LuaBridge.class);

    private final Sandbox sandbox;
    private final SentinelLib sentinel;
    private final LuaRequest requests;
    private final LuaResponse responses;
    private final RunLimits limits;
    private final boolean debugScripts;

    LuaBridge(Sandbox sandbox, SentinelLib sentinel, boolean debugScripts) {
        this.sandbox = sandbox;
        this.sentinel = sentinel;
        this.requests = new LuaRequest();
        this.responses = new LuaResponse(requests);
        this.limits = sandbox.limits();
        this.debugScripts = debugScripts;
    }

    /** The hooks a call runs, in order; {@code null} for a call without a known phase. */
    static List<Hook> hooks(HookCall call) {
        boolean complete = call.getChunk().getComplete();
        return switch (call.getPhase()) {
            case PHASE_REQUEST_HEADERS -> List.of(Hook.REQUEST_HEADERS);
            case PHASE_REQUEST_BODY -> complete ? List.of(Hook.REQUEST_BODY_CHUNK, Hook.REQUEST_BODY)
                    : List.of(Hook.REQUEST_BODY_CHUNK);
            case PHASE_RESPONSE_HEADERS -> List.of(Hook.RESPONSE_HEADERS);
            case PHASE_RESPONSE_BODY -> complete ? List.of(Hook.RESPONSE_BODY) : List.of();
            case PHASE_UNSPECIFIED, UNRECOGNIZED -> null;
        };
    }

    HookResult handle(HookCall call, ScriptSelector selector, LuaTable[] envs) {
        long start = System.nanoTime();
        CallState state = new CallState(call, limits);
        Run run = new Run();
        sentinel.bind(state);
        sandbox.beginEvent(start);
        try {
            chain(call, state, selector, envs, run);
            if (run.failure == null) {
                ctx(state, run);
            }
        } finally {
            sandbox.endEvent();
            sentinel.bind(null);
        }
        HookResult.Builder result = HookResult.newBuilder()
                .setCallId(call.getCallId())
                .addAllScriptsRun(state.scriptsRun)
                .setStats(ExecutionStats.newBuilder()
                        .setInstructions(run.instructions)
                        .setAllocatedBytes(run.allocated)
                        .setElapsedMicros((System.nanoTime() - start) / 1_000));
        if (run.failure != null) {
            return result.setFailure(run.failure).build();
        }
        result.setVerdict(state.verdict());
        if (run.ctx != null) {
            result.setCtx(ByteString.copyFrom(run.ctx)).setCtxChanged(true);
        } else {
            result.setCtx(call.getCtx());
        }
        return result.build();
    }

    /** What the chain did so far. */
    private static final class Run {
        ScriptFailure failure;
        long instructions;
        long allocated;
        byte[] ctx;
        String lastScript = "";

        void fail(FailureKind kind, String script, String message) {
            failure = ScriptFailure.newBuilder().setKind(kind).setScript(script).setMessage(message).build();
        }

        /** A limit hit outside a script run (body, ctx): the figures, no run time. */
        void fail(BudgetExceededError e, String script) {
            failure = ScriptFailure.newBuilder().setKind(e.kind()).setScript(script).setMessage(e.getMessage())
                    .setLimit(e.limit()).build();
        }

        /** The run of {@code script} failed: its kind, message, limit figures and run time. */
        void fail(RunOutcome.Failed f, String script) {
            ScriptFailure.Builder b = ScriptFailure.newBuilder().setKind(f.kind()).setScript(script)
                    .setMessage(f.message()).setElapsedMicros(f.elapsedMicros());
            if (f.limit() != null) {
                b.setLimit(f.limit());
            }
            failure = b.build();
        }
    }

    private void chain(HookCall call, CallState state, ScriptSelector selector, LuaTable[] envs, Run run) {
        List<Hook> hooks = hooks(call);
        if (hooks == null) {
            run.fail(FailureKind.SCRIPT_ERROR, "", "call " + call.getCallId() + " has no phase");
            return;
        }
        ByteString wholeBody = CallState.wholeBodyBytes(call);
        if (wholeBody != null && wholeBody.size() > limits.maxBodyBytes()) {
            run.fail(BudgetExceededError.of(FailureKind.BODY_LIMIT, "body bytes",
                    wholeBody.size(), limits.maxBodyBytes(), "scripts.max-body-bytes"), "");
            return;
        }
        boolean responsePhase = call.getPhase() == Phase.PHASE_RESPONSE_HEADERS
                || call.getPhase() == Phase.PHASE_RESPONSE_BODY;
        String path = LuaRequest.path(call.getRequest().getUri());
        String method = call.getRequest().getMethod();
        LuaValue request = null;
        LuaValue response = null;
        LuaValue chunk = null;
        LuaValue body = null;
        for (Hook hook : hooks) {
            for (ScriptDefinition script : selector.select(hook, path, method)) {
                if (request == null) {
                    request = requests.wrap(state, !responsePhase);
                    response = responsePhase ? responses.wrap(state, true) : LuaValue.NIL;
                }
                if (chunk == null && call.hasChunk()) {
                    chunk = state.chunkData();
                    body = state.wholeBody();
                }
                String name = script.name();
                String function = Hooks.functionName(hook);
                LuaTable env = envs[script.index()];
                state.script = name;
                run.lastScript = name;
                if (!state.scriptsRun.contains(name)) {
                    state.scriptsRun.add(name);
                }
                state.tag(RUN_TAG_PREFIX + name);
                LuaValue fn = env.rawget(function);
                if (!fn.isfunction()) {
                    run.fail(FailureKind.SCRIPT_ERROR, name, name + ": " + function + " is not a function (it is a "
                            + fn.typename() + " value)");
                    return;
                }
                Varargs args = switch (hook) {
                    case REQUEST_HEADERS -> request;
                    case REQUEST_BODY_CHUNK -> LuaValue.varargsOf(request, chunk,
                            LuaValue.valueOf(call.getChunk().getIsLast()));
                    case REQUEST_BODY -> LuaValue.varargsOf(request, body);
                    case RESPONSE_HEADERS -> response;
                    case RESPONSE_BODY -> LuaValue.varargsOf(response, body);
                    case HOOK_UNSPECIFIED, UNRECOGNIZED -> LuaValue.NONE;
                };
                LuaValue ownRequest = env.rawget("request");
                LuaValue ownResponse = env.rawget("response");
                env.rawset("request", request);
                if (responsePhase) {
                    env.rawset("response", response);
                }
                RunOutcome outcome;
                try {
                    outcome = sandbox.run(name, env, fn, args);
                } finally {
                    env.rawset("request", ownRequest);
                    env.rawset("response", ownResponse);
                }
                run.instructions += outcome.instructions();
                run.allocated += outcome.allocatedBytes();
                if (debugScripts) {
                    LOG.info("script {} - {} {} ({} instructions)", name, function,
                            outcome instanceof RunOutcome.Failed f ? "failed: " + f.kind() : "ran", outcome.instructions());
                }
                if (outcome instanceof RunOutcome.Failed f) {
                    run.fail(f, name);
                    return;
                }
                try {
                    ReturnedTable.apply(((RunOutcome.Completed) outcome).values(), state, function);
                } catch (LuaError e) {
                    run.fail(FailureKind.SCRIPT_ERROR, name, name + ": " + Sandbox.luaMessage(e));
                    return;
                }
                if (state.ended()) {
                    return;
                }
            }
        }
    }

    private static void ctx(CallState state, Run run) {
        try {
            run.ctx = state.changedCtx();
        } catch (BudgetExceededError e) {
            run.fail(e, run.lastScript);
        } catch (LuaError e) {
            run.fail(FailureKind.SCRIPT_ERROR, run.lastScript, Sandbox.luaMessage(e));
        }
    }
}
