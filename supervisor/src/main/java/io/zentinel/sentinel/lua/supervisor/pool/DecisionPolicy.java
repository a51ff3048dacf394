package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.HeaderMutation;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.LimitHit;
import io.zentinel.sentinel.lua.protocol.v1.Metadata;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.ScriptFailure;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import io.zentinel.sentinel.lua.supervisor.config.SafetyConfig;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse.Audit;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse.BodyMutation;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse.HeaderOp;
import io.zentinel.sentinel.lua.supervisor.proxy.Decision;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a worker's {@link HookResult} into the {@link AgentResponse} for the event, and every
 * failure into the configured failure-mode decision (safety.fail-open).
 *
 * <p>Failure mode. Fail-open: allow, with audit tags {@code lua-agent:fail-open} and
 * {@code lua-agent:<cause>} and the cause's code as reason code. Fail-closed: block with status
 * 500 and body {@value #FAILURE_BODY}, tags {@code lua-agent:fail-closed} and
 * {@code lua-agent:<cause>}, the same reason code. Cause names come from {@link FailureCause}.
 *
 * <p>Body mutations. The pipe carries raw bytes; the proxy wants a string. This class does the
 * encoding, so {@link AgentResponse.BodyMutation#data()} already holds the wire form: Base64
 * for a response body (the proxy decodes it), UTF-8 text for a request body (the proxy would
 * use that string literally; it does not apply request body mutations today). Which one a
 * verdict's mutation is follows from the phase of the call.
 *
 * <p>Stateless and thread-safe.
 */
public final class DecisionPolicy {
    public static final String FAILURE_BODY = "Lua agent failure";
    public static final int FAILURE_STATUS = 500;
    public static final int DEFAULT_BLOCK_STATUS = 403;
    public static final int DEFAULT_REDIRECT_STATUS = 302;
    public static final String FAIL_OPEN_TAG = "lua-agent:fail-open";
    public static final String FAIL_CLOSED_TAG = "lua-agent:fail-closed";

    /**
     * What the policy made of a call.
     *
     * @param response      the answer for the proxy
     * @param failure       why it is the failure-mode decision, or {@code null} when the scripts decided
     * @param script        the script that failed, when the worker named one, else {@code null}
     * @param detail        the worker's or our message about the failure, for the log, else {@code null}
     * @param limit         the limit the script went past and its figures, when the worker sent them, else {@code null}
     * @param elapsedMicros how long the failing script had run, 0 when unknown
     */
    public record Outcome(AgentResponse response, FailureCause failure, String script, String detail, LimitHit limit,
                          long elapsedMicros) {

        /** An outcome without limit figures. */
        public Outcome(AgentResponse response, FailureCause failure, String script, String detail) {
            this(response, failure, script, detail, null, 0);
        }
    }

    private final boolean failOpen;

    public DecisionPolicy(SafetyConfig safety) {
        this(safety.failOpen());
    }

    public DecisionPolicy(boolean failOpen) {
        this.failOpen = failOpen;
    }

    public boolean failOpen() {
        return failOpen;
    }

    /** The response to an event whose call to {@code phase} returned {@code result}. */
    public Outcome apply(String correlationId, Phase phase, HookResult result) {
        return switch (result.getOutcomeCase()) {
            case VERDICT -> verdict(correlationId, phase, result.getVerdict());
            case FAILURE -> {
                ScriptFailure failure = result.getFailure();
                FailureCause cause = FailureCause.of(failure.getKind());
                yield new Outcome(failure(correlationId, cause), cause,
                        failure.getScript().isEmpty() ? null : failure.getScript(), failure.getMessage(),
                        failure.hasLimit() ? failure.getLimit() : null, failure.getElapsedMicros());
            }
            case OUTCOME_NOT_SET -> new Outcome(failure(correlationId, FailureCause.INTERNAL_ERROR),
                    FailureCause.INTERNAL_ERROR, null, "worker result has neither verdict nor failure");
        };
    }

    /** The failure-mode response for {@code cause}. */
    public AgentResponse failure(String correlationId, FailureCause cause) {
        Audit audit = new Audit(List.of(failOpen ? FAIL_OPEN_TAG : FAIL_CLOSED_TAG, cause.tag()), List.of(),
                List.of(cause.code()));
        Decision decision = failOpen ? Decision.ALLOW : new Decision.Block(FAILURE_STATUS, FAILURE_BODY, null);
        return new AgentResponse(correlationId, decision, List.of(), List.of(), Map.of(), audit, false,
                null, null, null);
    }

    private Outcome verdict(String correlationId, Phase phase, Verdict verdict) {
        Decision decision;
        switch (verdict.getAction()) {
            case BLOCK -> {
                int status = verdict.getStatus() == 0 ? DEFAULT_BLOCK_STATUS : verdict.getStatus();
                if (status < 100 || status > 599) {
                    return scriptError(correlationId, "block status " + status + " is not an HTTP status (100..599)");
                }
                decision = new Decision.Block(status, verdict.hasBody() ? verdict.getBody() : null,
                        blockHeaders(verdict.getBlockHeadersList()));
            }
            case REDIRECT -> {
                int status = verdict.getStatus() == 0 ? DEFAULT_REDIRECT_STATUS : verdict.getStatus();
                if (status < 300 || status > 399) {
                    return scriptError(correlationId, "redirect status " + status + " is not a 3xx status");
                }
                if (verdict.getRedirectUrl().isEmpty()) {
                    return scriptError(correlationId, "redirect without a url");
                }
                decision = new Decision.Redirect(verdict.getRedirectUrl(), status);
            }
            case ALLOW, ACTION_UNSPECIFIED, UNRECOGNIZED -> decision = Decision.ALLOW;
            default -> throw new AssertionError(verdict.getAction());
        }
        Map<String, String> routing = new LinkedHashMap<>();
        for (Metadata metadata : verdict.getMetadataList()) {
            routing.put(metadata.getKey(), metadata.getValue());
        }
        BodyMutation requestBody = null;
        BodyMutation responseBody = null;
        if (verdict.hasBodyMutation()) {
            var mutation = verdict.getBodyMutation();
            boolean response = phase == Phase.PHASE_RESPONSE_HEADERS || phase == Phase.PHASE_RESPONSE_BODY;
            String data = null;
            if (mutation.hasData()) {
                byte[] bytes = mutation.getData().toByteArray();
                data = response ? Base64.getEncoder().encodeToString(bytes) : new String(bytes, StandardCharsets.UTF_8);
            }
            BodyMutation body = new BodyMutation(data, mutation.getChunkIndex());
            if (response) {
                responseBody = body;
            } else {
                requestBody = body;
            }
        }
        Audit audit = new Audit(verdict.getTagsList(), verdict.getRuleIdsList(), List.of());
        AgentResponse response = new AgentResponse(correlationId, decision,
                headerOps(verdict.getRequestHeadersList()), headerOps(verdict.getResponseHeadersList()),
                routing, audit, verdict.getNeedsMore(), requestBody, responseBody, null);
        return new Outcome(response, null, null, null);
    }

    private Outcome scriptError(String correlationId, String detail) {
        return new Outcome(failure(correlationId, FailureCause.SCRIPT_ERROR), FailureCause.SCRIPT_ERROR, null,
                "unusable verdict: " + detail);
    }

    /** SET, ADD and REMOVE map one to one; mutations without an op or a name are dropped. */
    static List<HeaderOp> headerOps(List<HeaderMutation> mutations) {
        List<HeaderOp> ops = new ArrayList<>(mutations.size());
        for (HeaderMutation m : mutations) {
            if (m.getName().isEmpty()) {
                continue;
            }
            switch (m.getOp()) {
                case SET -> ops.add(HeaderOp.set(m.getName(), m.getValue()));
                case ADD -> ops.add(HeaderOp.add(m.getName(), m.getValue()));
                case REMOVE -> ops.add(HeaderOp.remove(m.getName()));
                case OP_UNSPECIFIED, UNRECOGNIZED -> {
                }
            }
        }
        return ops;
    }

    /** Block headers are a name -> value map: SET and ADD put (the last one wins), REMOVE is meaningless. */
    private static Map<String, String> blockHeaders(List<HeaderMutation> mutations) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (HeaderMutation m : mutations) {
            if (!m.getName().isEmpty() && (m.getOp() == HeaderMutation.Op.SET || m.getOp() == HeaderMutation.Op.ADD)) {
                headers.put(m.getName(), m.getValue());
            }
        }
        return headers.isEmpty() ? null : headers;
    }
}
