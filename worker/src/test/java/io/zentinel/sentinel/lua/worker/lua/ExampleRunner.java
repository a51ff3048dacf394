package io.zentinel.sentinel.lua.worker.lua;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.BodyChunk;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ResponseInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import io.zentinel.sentinel.lua.worker.lua.LuaCodeBlocks.Block;
import io.zentinel.sentinel.lua.worker.lua.LuaCodeBlocks.Check;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import io.zentinel.sentinel.lua.worker.script.ScriptCatalog;
import io.zentinel.sentinel.lua.worker.script.ScriptSelector;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * Runs one documented {@code ```lua} block in a real sandboxed {@link LuaVm} and checks what its
 * {@code -->} comments say (see {@link LuaCodeBlocks} for the convention).
 *
 * <p>A block is loaded as a script of its own, in a VM of its own: its top-level code runs. When
 * it defines hook functions, the {@linkplain #requestHeaders() example transaction} the README
 * describes is driven through the phases it hooks, in order (request headers, the request body in
 * one chunk, response headers, the response body), carrying {@code sentinel.ctx} from phase to
 * phase; a block or redirect ends the transaction. Then:
 * <ul>
 * <li>every value check must have run at least once, and every run must have given the values
 *     its comment states (deep equality for tables, identity for userdata such as {@code json.null});</li>
 * <li>a decision line must match the decision of the last event handled;</li>
 * <li>the block must compile as written, so that a reader can copy it, and nothing may fail.</li>
 * </ul>
 */
final class ExampleRunner {
    /** The globals the instrumented checks call; scripts of the product never see them. */
    static final String VALUE_PROBE = "__doc_value";
    static final String DECISION_PROBE = "__doc_decision";
    private static final Pattern COMPILE_ERROR = Pattern.compile("\\]:(\\d+): (.*)$");

    /** {@code sentinel.version} in the examples. */
    static final String AGENT_VERSION = "0.1.0";

    /** Generous time limits: the first blocks run in a cold JVM, and time limits are not what is tested. */
    static final RunLimits LIMITS = new RunLimits(10_000_000L, 50L * 1024 * 1024, 5_000, 5_000,
            10L * 1024 * 1024, 10_000, 1024 * 1024, 200, 16, 64 * 1024);

    // ---------------------------------------------------------------- the example transaction (README)

    static final String CORRELATION_ID = "Jx7Qm2Rp4Kd";
    static final String REQUEST_BODY = "{\"name\":\"alice\",\"role\":\"admin\"}";
    static final String RESPONSE_BODY = "{\"id\":42,\"name\":\"alice\"}";

    static RequestInfo request() {
        return RequestInfo.newBuilder()
                .setMethod("POST")
                .setUri("/api/users?id=42")
                .setClientIp("203.0.113.7")
                .setClientPort(51514)
                .setProtocol("HTTP/1.1")
                .setRequestId("6f1c2a9e-4b7d-4e21-9a53-0c8d2f6b1e77")
                .setTimestamp("2026-07-01T09:30:00.123456789+00:00")
                .setRouteId("api")
                .setUpstreamId("users")
                .setHeaderList(headerList(
                        header("host", "example.com"),
                        header("accept", "application/json", "text/plain"),
                        header("content-type", "application/json"),
                        header("x-user", "alice")))
                .build();
    }

    static ResponseInfo response() {
        return ResponseInfo.newBuilder()
                .setStatus(201)
                .setHeaderList(headerList(header("content-type", "application/json"), header("server", "nginx")))
                .build();
    }

    static HookCall.Builder requestHeaders() {
        return HookCall.newBuilder().setCallId(1).setPhase(Phase.PHASE_REQUEST_HEADERS)
                .setCorrelationId(CORRELATION_ID).setRequest(request());
    }

    private static HookCall.Builder body(Phase phase, String body) {
        ByteString bytes = ByteString.copyFromUtf8(body);
        return HookCall.newBuilder().setPhase(phase).setCorrelationId(CORRELATION_ID).setRequest(request())
                .setChunk(BodyChunk.newBuilder().setData(bytes).setChunkIndex(0).setIsLast(true).setComplete(true)
                        .setBody(bytes));
    }

    private static ByteString headerList(Header... headers) {
        return HeaderList.newBuilder().addAllHeaders(List.of(headers)).build().toByteString();
    }

    private static Header header(String name, String... values) {
        return Header.newBuilder().setName(name).addAllValues(List.of(values)).build();
    }

    // ---------------------------------------------------------------- running a block

    private final Block block;
    private final List<String> problems = new ArrayList<>();
    private final Map<Integer, Check> checks = new TreeMap<>();
    private final Map<Integer, Integer> hits = new TreeMap<>();
    /** Lines of decision checks that ran outside a call: the decision of the whole transaction. */
    private final List<Integer> finalDecisions = new ArrayList<>();

    private ExampleRunner(Block block) {
        this.block = block;
    }

    /** What is wrong with {@code block}: empty when it runs and gives what it says. */
    static List<String> run(Block block) {
        ExampleRunner runner = new ExampleRunner(block);
        runner.run();
        return runner.problems;
    }

    private void run() {
        try {
            LuaC.instance.compile(new ByteArrayInputStream(block.text().getBytes(StandardCharsets.UTF_8)), "block");
        } catch (LuaError | IOException e) {
            Matcher at = COMPILE_ERROR.matcher(String.valueOf(e.getMessage()));
            problems.add(at.find() ? block.where(Integer.parseInt(at.group(1))) + ": does not compile as written: "
                    + at.group(2) : block + ": does not compile as written: " + e.getMessage());
            return;
        }
        for (Check check : LuaCodeBlocks.checks(block.text())) {
            checks.put(check.line(), check);
            if (!check.isDecision() && check.code().isBlank()) {
                problems.add(block.where(check.line()) + ": '-->' needs a call or an assignment on its left"
                        + " (or '" + LuaCodeBlocks.DECISION + "' after it)");
            }
        }
        if (!problems.isEmpty()) {
            return;
        }
        String fileName = "example-" + block.firstLine() + ".lua";
        ScriptCatalog catalog = ScriptCatalog.compile(List.of(ScriptSource.newBuilder().setFileName(fileName)
                .setSource(LuaCodeBlocks.instrument(block.text(), VALUE_PROBE, DECISION_PROBE)).build()));
        for (ScriptProblem p : catalog.problems()) {
            problems.add(block.where(p.getLine()) + ": " + p.getReason()
                    + " (left of '-->' must be a call or an assignment)");
        }
        if (!problems.isEmpty()) {
            return;
        }
        LuaVm vm = new LuaVm(0, LIMITS, catalog, AGENT_VERSION, false, sentinel -> Map.of(
                VALUE_PROBE, new ValueProbe(), DECISION_PROBE, new DecisionProbe(sentinel)));
        LuaVm.ScriptLoad load = vm.load().getFirst();
        Set<Hook> hooks = load.hooks();
        if (!load.ok() && !load.problem().getReason().startsWith("defines none of the hook functions")) {
            failed(block.where(load.problem().getLine()) + ": " + load.problem().getReason());
            return;
        }
        Verdict last = null;
        if (!hooks.isEmpty()) {
            vm.use(new ScriptSelector(List.of(new ScriptSelector.Entry(load.script(), hooks))));
            last = transaction(vm, hooks);
        }
        for (int line : finalDecisions) {
            if (hooks.isEmpty()) {
                problems.add(block.where(line) + ": a decision after the script needs a script with hook functions");
            } else if (last != null && !decision(last).equals(checks.get(line).expected())) {
                problems.add(block.where(line) + ": the agent decided " + decision(last) + ", the block says "
                        + checks.get(line).expected());
            }
        }
        for (Check check : checks.values()) {
            if (problems.isEmpty() && !hits.containsKey(check.line())) {
                problems.add(block.where(check.line()) + ": this check never ran ("
                        + (check.code().isBlank() ? "-->" : check.code().strip()) + ")");
            }
        }
    }

    /** Drives the example transaction through the hooked phases; the verdict of the last call, or null after a failure. */
    private Verdict transaction(LuaVm vm, Set<Hook> hooks) {
        List<HookCall.Builder> calls = new ArrayList<>();
        if (hooks.contains(Hook.REQUEST_HEADERS)) {
            calls.add(requestHeaders());
        }
        if (hooks.contains(Hook.REQUEST_BODY) || hooks.contains(Hook.REQUEST_BODY_CHUNK)) {
            calls.add(body(Phase.PHASE_REQUEST_BODY, REQUEST_BODY));
        }
        if (hooks.contains(Hook.RESPONSE_HEADERS)) {
            calls.add(HookCall.newBuilder().setPhase(Phase.PHASE_RESPONSE_HEADERS).setCorrelationId(CORRELATION_ID)
                    .setRequest(request()).setResponse(response()));
        }
        if (hooks.contains(Hook.RESPONSE_BODY)) {
            calls.add(body(Phase.PHASE_RESPONSE_BODY, RESPONSE_BODY).setResponse(response()));
        }
        ByteString ctx = ByteString.EMPTY;
        Verdict last = null;
        for (HookCall.Builder call : calls) {
            HookResult result = vm.handle(call.setCtx(ctx).build());
            if (result.hasFailure()) {
                failed(block + ": " + call.getPhase() + " failed (" + result.getFailure().getKind() + "): "
                        + result.getFailure().getMessage());
                return null;
            }
            ctx = result.getCtx();
            last = result.getVerdict();
            if (last.getAction() == Action.BLOCK || last.getAction() == Action.REDIRECT) {
                break;
            }
        }
        return last;
    }

    /** Records a failed run, unless it failed because a check did (which is recorded already). */
    private void failed(String message) {
        if (problems.stream().noneMatch(message::contains)) {
            problems.add(message);
        }
    }

    /** A verdict's decision as a decision line writes it. */
    static String decision(Verdict v) {
        return switch (v.getAction()) {
            case BLOCK -> "block " + v.getStatus() + (v.hasBody() ? " " + quote(v.getBody()) : "");
            case REDIRECT -> "redirect " + v.getStatus() + " " + quote(v.getRedirectUrl());
            default -> "allow";
        };
    }

    /** {@code VALUE_PROBE(line, expected, ...)}: compares the values with what {@code expected()} returns. */
    private final class ValueProbe extends VarArgFunction {
        @Override
        public Varargs invoke(Varargs args) {
            int line = args.checkint(1);
            Varargs actual = args.subargs(3);
            Varargs expected = args.checkfunction(2).invoke();
            hits.merge(line, 1, Integer::sum);
            if (!same(expected, actual)) {
                throw mismatch(block.where(line) + ": gave " + render(actual) + ", the block says " + render(expected));
            }
            return actual;
        }
    }

    /**
     * {@code DECISION_PROBE(line)}: during a call, compares the decision made so far; outside one
     * (the top level of the script), notes the line for the decision of the whole transaction.
     */
    private final class DecisionProbe extends VarArgFunction {
        private final SentinelLib sentinel;

        DecisionProbe(SentinelLib sentinel) {
            this.sentinel = sentinel;
        }

        @Override
        public Varargs invoke(Varargs args) {
            int line = args.checkint(1);
            hits.merge(line, 1, Integer::sum);
            CallState state = sentinel.current();
            if (state == null) {
                finalDecisions.add(line);
                return LuaValue.NONE;
            }
            String decided = decision(state.verdict());
            if (!decided.equals(checks.get(line).expected())) {
                throw mismatch(block.where(line) + ": the decision so far is " + decided + ", the block says "
                        + checks.get(line).expected());
            }
            return LuaValue.NONE;
        }
    }

    private LuaError mismatch(String message) {
        problems.add(message);
        return new LuaError(message);
    }

    static boolean same(Varargs a, Varargs b) {
        if (a.narg() != b.narg()) {
            return false;
        }
        for (int i = 1; i <= a.narg(); i++) {
            if (!same(a.arg(i), b.arg(i), new IdentityHashMap<>())) {
                return false;
            }
        }
        return true;
    }

    private static boolean same(LuaValue a, LuaValue b, IdentityHashMap<LuaValue, LuaValue> seen) {
        if (a.type() != b.type()) {
            return false;
        }
        if (!(a instanceof LuaTable ta) || !(b instanceof LuaTable tb)) {
            return a.raweq(b);
        }
        if (seen.get(a) == b) {
            return true;
        }
        seen.put(a, b);
        return contained(ta, tb, seen) && contained(tb, ta, seen);
    }

    /** Whether every key of {@code a} is in {@code b} with the same value. */
    private static boolean contained(LuaTable a, LuaTable b, IdentityHashMap<LuaValue, LuaValue> seen) {
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs next = a.next(k);
            k = next.arg1();
            if (k.isnil()) {
                return true;
            }
            if (!same(next.arg(2), b.rawget(k), seen)) {
                return false;
            }
        }
    }

    static String render(Varargs values) {
        if (values.narg() == 0) {
            return "nothing";
        }
        StringBuilder s = new StringBuilder();
        for (int i = 1; i <= values.narg(); i++) {
            s.append(i > 1 ? ", " : "").append(render(values.arg(i), 0));
        }
        return s.toString();
    }

    private static String render(LuaValue v, int depth) {
        if (v instanceof LuaString s) {
            return quote(s.tojstring());
        }
        if (!(v instanceof LuaTable t)) {
            return v.tojstring();
        }
        if (depth > 8) {
            return "{...}";
        }
        StringBuilder s = new StringBuilder("{");
        int n = t.rawlen();
        for (int i = 1; i <= n; i++) {
            s.append(i > 1 ? ", " : "").append(render(t.rawget(i), depth + 1));
        }
        TreeMap<String, String> rest = new TreeMap<>();
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs next = t.next(k);
            k = next.arg1();
            if (k.isnil()) {
                break;
            }
            if (!(k.isinttype() && k.toint() >= 1 && k.toint() <= n)) {
                String key = k.isstring() && k.tojstring().matches("[A-Za-z_]\\w*") ? k.tojstring()
                        : "[" + render(k, depth + 1) + "]";
                rest.put(key, render(next.arg(2), depth + 1));
            }
        }
        rest.forEach((key, value) -> s.append(s.length() > 1 ? ", " : "").append(key).append(" = ").append(value));
        return s.append('}').toString();
    }

    static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> {
                    if (c < 0x20) {
                        q.append('\\').append((int) c);
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }
}
