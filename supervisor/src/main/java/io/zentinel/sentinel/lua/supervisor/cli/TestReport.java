package io.zentinel.sentinel.lua.supervisor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.supervisor.admin.AdminJson;
import io.zentinel.sentinel.lua.supervisor.admin.ScriptView;
import io.zentinel.sentinel.lua.supervisor.pool.DecisionPolicy;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerGoneException;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse.HeaderOp;
import io.zentinel.sentinel.lua.supervisor.proxy.Decision;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code sentinel-lua-agent test} prints: the decision the proxy would get for the event
 * (after {@link DecisionPolicy}, so failures show the failure mode), with header mutations,
 * metadata, audit tags, ctx, statistics and the script's log.
 */
final class TestReport {
    private final ScriptView script;
    private final TestEvent.Parsed event;
    private final DecisionPolicy.Outcome outcome;
    private final HookResult result;
    private final boolean failOpen;
    private final List<String> log;

    private TestReport(ScriptView script, TestEvent.Parsed event, DecisionPolicy.Outcome outcome, HookResult result,
                       boolean failOpen, List<String> log) {
        this.script = script;
        this.event = event;
        this.outcome = outcome;
        this.result = result;
        this.failOpen = failOpen;
        this.log = List.copyOf(log);
    }

    /** The report of a call that returned {@code result}, or of a worker that died ({@code gone}). */
    static TestReport of(ScriptView script, TestEvent.Parsed event, DecisionPolicy policy, HookResult result,
                         WorkerGoneException gone, List<String> log) {
        String id = event.call().getCorrelationId();
        DecisionPolicy.Outcome outcome = gone != null
                ? new DecisionPolicy.Outcome(policy.failure(id, gone.failureCause()), gone.failureCause(), null,
                        gone.getMessage())
                : policy.apply(id, event.phase().phase, result);
        return new TestReport(script, event, outcome, gone != null ? null : result, policy.failOpen(), log);
    }

    /** Whether the script failed (error or limit) instead of deciding. */
    boolean failed() {
        return outcome.failure() != null;
    }

    void print(PrintWriter out, Style style) {
        AgentResponse response = outcome.response();
        HookCall call = event.call();
        out.println(label("script") + script.name() + (script.version().isEmpty() ? "" : " " + script.version())
                + " (" + script.file() + "), hooks " + String.join(",", script.hooks())
                + ", paths " + (script.paths().isEmpty() ? "*" : String.join(",", script.paths()))
                + ", methods " + (script.methods().isEmpty() ? "*" : String.join(",", script.methods()))
                + ", priority " + script.priority());
        out.println(label("event") + event.phase().fileName() + " " + call.getRequest().getMethod() + " "
                + call.getRequest().getUri() + (call.hasResponse() ? " -> " + call.getResponse().getStatus() : ""));
        if (result != null) {
            out.println(label("ran") + (result.getScriptsRunCount() == 0
                    ? "no script (none matches this phase, path and method)"
                    : String.join(", ", result.getScriptsRunList()))
                    + " in " + Figures.micros(result.getStats().getElapsedMicros()) + ", "
                    + result.getStats().getInstructions() + " instructions, "
                    + Figures.bytes(result.getStats().getAllocatedBytes()) + " allocated");
        }
        if (failed()) {
            out.println(label("failure") + style.red(outcome.failure().code()
                    + (outcome.script() == null ? "" : " in " + outcome.script()) + ": " + outcome.detail()));
        }
        out.println(label("decision") + decision(response.decision(), style)
                + (failed() ? " (" + (failOpen ? "fail-open" : "fail-closed") + ", from safety.fail-open)" : ""));
        if (response.decision() instanceof Decision.Block block) {
            if (block.body() != null) {
                out.println(label("  body") + block.body());
            }
            if (block.headers() != null) {
                block.headers().forEach((name, value) -> out.println(label("  header") + name + ": " + value));
            }
        }
        headerOps(out, "request headers", response.requestHeaders());
        headerOps(out, "response headers", response.responseHeaders());
        if (response.requestBodyMutation() != null) {
            out.println(label("request body") + bodyMutation(response.requestBodyMutation()));
        }
        if (response.responseBodyMutation() != null) {
            out.println(label("response body") + bodyMutation(response.responseBodyMutation()) + " (Base64)");
        }
        out.println(label("metadata") + (response.routingMetadata().isEmpty() ? "none"
                : String.join(", ", response.routingMetadata().entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue()).toList())));
        out.println(label("tags") + list(response.audit().tags()));
        if (!response.audit().ruleIds().isEmpty()) {
            out.println(label("rule ids") + list(response.audit().ruleIds()));
        }
        if (!response.audit().reasonCodes().isEmpty()) {
            out.println(label("reasons") + list(response.audit().reasonCodes()));
        }
        if (response.needsMore()) {
            out.println(label("needs more") + "true");
        }
        if (result != null && result.getCtxChanged()) {
            out.println(label("ctx") + result.getCtx().toStringUtf8());
        }
        out.println(log.isEmpty() ? label("log") + "none" : "log");
        for (String line : log) {
            out.println("  " + line);
        }
    }

    private static String label(String label) {
        return String.format(Locale.ROOT, "%-17s", label);
    }

    private static String decision(Decision decision, Style style) {
        return switch (decision) {
            case Decision.Allow a -> style.green("allow");
            case Decision.Block b -> style.red("block " + b.status());
            case Decision.Redirect r -> style.yellow("redirect " + r.status() + " " + r.url());
        };
    }

    private static void headerOps(PrintWriter out, String title, List<HeaderOp> ops) {
        out.println(ops.isEmpty() ? label(title) + "none" : title);
        for (HeaderOp op : ops) {
            out.println("  " + op.kind().name().toLowerCase(Locale.ROOT) + " " + op.name()
                    + (op.kind() == HeaderOp.Kind.REMOVE ? "" : ": " + op.value()));
        }
    }

    private static String bodyMutation(AgentResponse.BodyMutation mutation) {
        return mutation.data() == null ? "keep chunk " + mutation.chunkIndex()
                : mutation.data().isEmpty() ? "drop chunk " + mutation.chunkIndex()
                : "replace chunk " + mutation.chunkIndex() + " with " + mutation.data();
    }

    private static String list(List<String> values) {
        return values.isEmpty() ? "none" : String.join(", ", values);
    }

    /** The report as pretty-printed JSON. */
    String json() {
        var mapper = AdminJson.mapper();
        AgentResponse response = outcome.response();
        ObjectNode root = mapper.createObjectNode();
        root.set("script", mapper.valueToTree(script));
        ObjectNode eventNode = root.putObject("event");
        eventNode.put("phase", event.phase().fileName()).put("correlation_id", event.call().getCorrelationId())
                .put("method", event.call().getRequest().getMethod()).put("uri", event.call().getRequest().getUri());
        ArrayNode run = root.putArray("scripts_run");
        if (result != null) {
            result.getScriptsRunList().forEach(run::add);
        }
        ObjectNode decision = root.putObject("decision");
        switch (response.decision()) {
            case Decision.Allow a -> decision.put("kind", "allow");
            case Decision.Block b -> {
                decision.put("kind", "block").put("status", b.status()).put("body", b.body());
                decision.set("headers", mapper.valueToTree(b.headers()));
            }
            case Decision.Redirect r -> decision.put("kind", "redirect").put("status", r.status()).put("url", r.url());
        }
        root.set("request_headers", ops(response.requestHeaders()));
        root.set("response_headers", ops(response.responseHeaders()));
        root.set("request_body_mutation", mapper.valueToTree(response.requestBodyMutation()));
        root.set("response_body_mutation", mapper.valueToTree(response.responseBodyMutation()));
        root.set("metadata", mapper.valueToTree(Map.copyOf(response.routingMetadata())));
        root.set("tags", mapper.valueToTree(response.audit().tags()));
        root.set("rule_ids", mapper.valueToTree(response.audit().ruleIds()));
        root.set("reason_codes", mapper.valueToTree(response.audit().reasonCodes()));
        root.put("needs_more", response.needsMore());
        root.set("ctx", result != null && result.getCtxChanged() ? parse(result.getCtx().toStringUtf8()) : null);
        if (failed()) {
            root.putObject("failure").put("cause", outcome.failure().code()).put("script", outcome.script())
                    .put("message", outcome.detail()).put("fail_open", failOpen);
        } else {
            root.putNull("failure");
        }
        if (result != null) {
            root.putObject("stats").put("instructions", result.getStats().getInstructions())
                    .put("allocated_bytes", result.getStats().getAllocatedBytes())
                    .put("elapsed_micros", result.getStats().getElapsedMicros());
        }
        root.set("log", mapper.valueToTree(log));
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ArrayNode ops(List<HeaderOp> ops) {
        ArrayNode array = AdminJson.mapper().createArrayNode();
        for (HeaderOp op : ops) {
            ObjectNode node = array.addObject().put("op", op.kind().name().toLowerCase(Locale.ROOT)).put("name", op.name());
            if (op.kind() != HeaderOp.Kind.REMOVE) {
                node.put("value", op.value());
            }
        }
        return array;
    }

    private static JsonNode parse(String json) {
        try {
            return AdminJson.mapper().readTree(json);
        } catch (JsonProcessingException e) {
            return AdminJson.mapper().getNodeFactory().textNode(json);
        }
    }
}
