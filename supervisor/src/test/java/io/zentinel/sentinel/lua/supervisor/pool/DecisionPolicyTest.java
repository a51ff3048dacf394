package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.BodyMutation;
import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
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
import io.zentinel.sentinel.lua.supervisor.proxy.AgentResponse.HeaderOp;
import io.zentinel.sentinel.lua.supervisor.proxy.Decision;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DecisionPolicyTest {
    private static final String ID = "Jx7Qm2Rp4Kd";
    private final DecisionPolicy open = new DecisionPolicy(new SafetyConfig(true, false, 10));
    private final DecisionPolicy closed = new DecisionPolicy(new SafetyConfig(false, false, 10));

    private static HookResult verdict(Verdict.Builder verdict) {
        return HookResult.newBuilder().setVerdict(verdict).build();
    }

    private static HeaderMutation mutation(HeaderMutation.Op op, String name, String value) {
        return HeaderMutation.newBuilder().setOp(op).setName(name).setValue(value).build();
    }

    private static AgentResponse response(DecisionPolicy policy, Phase phase, Verdict.Builder verdict) {
        DecisionPolicy.Outcome outcome = policy.apply(ID, phase, verdict(verdict));
        assertNull(outcome.failure(), "not a failure: " + outcome.detail());
        return outcome.response();
    }

    @Test
    void allowCarriesHeaderOpsMetadataTagsRuleIdsAndNeedsMore() {
        Verdict.Builder verdict = Verdict.newBuilder()
                .setAction(Action.ALLOW)
                .addRequestHeaders(mutation(HeaderMutation.Op.SET, "x-user-id", "42"))
                .addRequestHeaders(mutation(HeaderMutation.Op.ADD, "x-tag", "a"))
                .addRequestHeaders(mutation(HeaderMutation.Op.REMOVE, "cookie", ""))
                .addRequestHeaders(mutation(HeaderMutation.Op.OP_UNSPECIFIED, "x-dropped", "1"))
                .addRequestHeaders(mutation(HeaderMutation.Op.SET, "", "no name"))
                .addResponseHeaders(mutation(HeaderMutation.Op.ADD, "x-inspected-by", "lua"))
                .addMetadata(Metadata.newBuilder().setKey("tenant").setValue("a"))
                .addMetadata(Metadata.newBuilder().setKey("tier").setValue("gold"))
                .addMetadata(Metadata.newBuilder().setKey("tenant").setValue("b"))
                .addTags("waf").addTags("bot")
                .addRuleIds("942100")
                .setNeedsMore(true);

        AgentResponse response = response(open, Phase.PHASE_REQUEST_HEADERS, verdict);

        assertEquals(new AgentResponse(ID, Decision.ALLOW,
                List.of(HeaderOp.set("x-user-id", "42"), HeaderOp.add("x-tag", "a"), HeaderOp.remove("cookie")),
                List.of(HeaderOp.add("x-inspected-by", "lua")),
                Map.of("tenant", "b", "tier", "gold"),
                new Audit(List.of("waf", "bot"), List.of("942100"), List.of()),
                true, null, null, null), response);
    }

    @Test
    void anUnspecifiedActionMeansAllow() {
        AgentResponse response = response(closed, Phase.PHASE_REQUEST_HEADERS, Verdict.newBuilder());

        assertEquals(AgentResponse.allow(ID), response);
    }

    @Test
    void blockDefaultsTo403AndKeepsBodyAndSetOrAddedHeaders() {
        AgentResponse response = response(open, Phase.PHASE_REQUEST_HEADERS, Verdict.newBuilder()
                .setAction(Action.BLOCK)
                .setBody("Forbidden")
                .addBlockHeaders(mutation(HeaderMutation.Op.SET, "content-type", "text/plain"))
                .addBlockHeaders(mutation(HeaderMutation.Op.ADD, "x-reason", "waf"))
                .addBlockHeaders(mutation(HeaderMutation.Op.REMOVE, "server", ""))
                .addTags("waf"));

        assertEquals(new Decision.Block(403, "Forbidden", Map.of("content-type", "text/plain", "x-reason", "waf")),
                response.decision());
        assertEquals(List.of("waf"), response.audit().tags());
    }

    @Test
    void blockWithoutBodyOrHeadersHasNullsAndItsOwnStatus() {
        AgentResponse response = response(open, Phase.PHASE_REQUEST_BODY, Verdict.newBuilder()
                .setAction(Action.BLOCK).setStatus(429));

        assertEquals(new Decision.Block(429, null, null), response.decision());
    }

    @Test
    void blockWithAnImpossibleStatusIsAScriptError() {
        DecisionPolicy.Outcome outcome = closed.apply(ID, Phase.PHASE_REQUEST_HEADERS,
                verdict(Verdict.newBuilder().setAction(Action.BLOCK).setStatus(999)));

        assertEquals(FailureCause.SCRIPT_ERROR, outcome.failure());
        assertEquals("unusable verdict: block status 999 is not an HTTP status (100..599)", outcome.detail());
        assertEquals(closed.failure(ID, FailureCause.SCRIPT_ERROR), outcome.response());
    }

    @Test
    void redirectDefaultsTo302() {
        AgentResponse response = response(open, Phase.PHASE_REQUEST_HEADERS, Verdict.newBuilder()
                .setAction(Action.REDIRECT).setRedirectUrl("https://login.example.com/"));

        assertEquals(new Decision.Redirect("https://login.example.com/", 302), response.decision());
    }

    @Test
    void redirectKeepsAnExplicit3xxStatus() {
        AgentResponse response = response(open, Phase.PHASE_REQUEST_HEADERS, Verdict.newBuilder()
                .setAction(Action.REDIRECT).setRedirectUrl("/moved").setStatus(301));

        assertEquals(new Decision.Redirect("/moved", 301), response.decision());
    }

    @Test
    void redirectWithoutUrlOrWithANon3xxStatusIsAScriptError() {
        DecisionPolicy.Outcome noUrl = open.apply(ID, Phase.PHASE_REQUEST_HEADERS,
                verdict(Verdict.newBuilder().setAction(Action.REDIRECT)));
        DecisionPolicy.Outcome badStatus = open.apply(ID, Phase.PHASE_REQUEST_HEADERS,
                verdict(Verdict.newBuilder().setAction(Action.REDIRECT).setRedirectUrl("/x").setStatus(200)));

        assertEquals("unusable verdict: redirect without a url", noUrl.detail());
        assertEquals("unusable verdict: redirect status 200 is not a 3xx status", badStatus.detail());
        assertEquals(open.failure(ID, FailureCause.SCRIPT_ERROR), noUrl.response());
        assertEquals(FailureCause.SCRIPT_ERROR, badStatus.failure());
    }

    @Test
    void aResponseBodyMutationIsBase64OnTheWire() {
        AgentResponse response = response(open, Phase.PHASE_RESPONSE_BODY, Verdict.newBuilder()
                .setBodyMutation(BodyMutation.newBuilder()
                        .setData(ByteString.copyFrom(new byte[] {0, 1, 2, (byte) 0xff})).setChunkIndex(3)));

        assertEquals(new AgentResponse.BodyMutation("AAEC/w==", 3), response.responseBodyMutation());
        assertNull(response.requestBodyMutation());
    }

    @Test
    void aRequestBodyMutationIsLiteralText() {
        AgentResponse response = response(open, Phase.PHASE_REQUEST_BODY, Verdict.newBuilder()
                .setBodyMutation(BodyMutation.newBuilder().setData(ByteString.copyFromUtf8("{\"name\":\"bob\"}"))));

        assertEquals(new AgentResponse.BodyMutation("{\"name\":\"bob\"}", 0), response.requestBodyMutation());
        assertNull(response.responseBodyMutation());
    }

    @Test
    void aBodyMutationWithoutDataKeepsTheChunkAndEmptyDataDropsIt() {
        AgentResponse keep = response(open, Phase.PHASE_RESPONSE_BODY, Verdict.newBuilder()
                .setBodyMutation(BodyMutation.newBuilder().setChunkIndex(1)));
        AgentResponse drop = response(open, Phase.PHASE_RESPONSE_BODY, Verdict.newBuilder()
                .setBodyMutation(BodyMutation.newBuilder().setData(ByteString.EMPTY)));

        assertEquals(new AgentResponse.BodyMutation(null, 1), keep.responseBodyMutation());
        assertEquals(new AgentResponse.BodyMutation("", 0), drop.responseBodyMutation());
    }

    @ParameterizedTest
    @EnumSource(FailureCause.class)
    void failOpenAllowsWithTheFailOpenAndCauseTags(FailureCause cause) {
        AgentResponse response = open.failure(ID, cause);

        assertEquals(new AgentResponse(ID, Decision.ALLOW, List.of(), List.of(), Map.of(),
                new Audit(List.of("lua-agent:fail-open", "lua-agent:" + cause.code()), List.of(), List.of(cause.code())),
                false, null, null, null), response);
    }

    @ParameterizedTest
    @EnumSource(FailureCause.class)
    void failClosedBlocksWith500AndTheFailClosedAndCauseTags(FailureCause cause) {
        AgentResponse response = closed.failure(ID, cause);

        assertEquals(new AgentResponse(ID, new Decision.Block(500, "Lua agent failure", null), List.of(), List.of(),
                Map.of(), new Audit(List.of("lua-agent:fail-closed", "lua-agent:" + cause.code()), List.of(),
                List.of(cause.code())), false, null, null, null), response);
    }

    @Test
    void causeNamesAreTheDocumentedOnes() {
        assertEquals(List.of("script-error", "instruction-limit", "time-limit", "memory-limit", "string-limit",
                        "table-limit", "body-limit", "ctx-limit", "worker-crashed", "worker-killed", "no-worker",
                        "overloaded", "malformed-event", "internal-error"),
                Arrays.stream(FailureCause.values()).map(FailureCause::code).toList());
    }

    @ParameterizedTest
    @EnumSource(value = FailureKind.class, names = "UNRECOGNIZED", mode = EnumSource.Mode.EXCLUDE)
    void everyScriptFailureKindBecomesItsCauseUnderBothModes(FailureKind kind) {
        HookResult result = HookResult.newBuilder().setFailure(ScriptFailure.newBuilder()
                .setKind(kind).setScript("auth.lua").setMessage("boom")).build();
        FailureCause expected = switch (kind) {
            case SCRIPT_ERROR, FAILURE_UNSPECIFIED, UNRECOGNIZED -> FailureCause.SCRIPT_ERROR;
            case INSTRUCTION_LIMIT -> FailureCause.INSTRUCTION_LIMIT;
            case TIME_LIMIT -> FailureCause.TIME_LIMIT;
            case MEMORY_LIMIT -> FailureCause.MEMORY_LIMIT;
            case STRING_LIMIT -> FailureCause.STRING_LIMIT;
            case TABLE_LIMIT -> FailureCause.TABLE_LIMIT;
            case BODY_LIMIT -> FailureCause.BODY_LIMIT;
            case CTX_LIMIT -> FailureCause.CTX_LIMIT;
        };

        for (DecisionPolicy policy : List.of(open, closed)) {
            DecisionPolicy.Outcome outcome = policy.apply(ID, Phase.PHASE_REQUEST_HEADERS, result);
            assertEquals(new DecisionPolicy.Outcome(policy.failure(ID, expected), expected, "auth.lua", "boom"), outcome);
        }
    }

    @Test
    void theLimitsFiguresAndTheRunTimeReachTheOutcome() {
        LimitHit limit = LimitHit.newBuilder().setKey("resource-limits.max-string-bytes").setMaximum(1024)
                .setMeasured(2048).setUnit("bytes").build();
        HookResult result = HookResult.newBuilder().setFailure(ScriptFailure.newBuilder()
                .setKind(FailureKind.STRING_LIMIT).setScript("big.lua").setMessage("too long").setLimit(limit)
                .setElapsedMicros(12_345)).build();
        DecisionPolicy.Outcome outcome = open.apply(ID, Phase.PHASE_REQUEST_HEADERS, result);
        assertEquals(new DecisionPolicy.Outcome(open.failure(ID, FailureCause.STRING_LIMIT), FailureCause.STRING_LIMIT,
                "big.lua", "too long", limit, 12_345), outcome);
    }

    @Test
    void aResultWithNeitherVerdictNorFailureIsAnInternalError() {
        DecisionPolicy.Outcome outcome = closed.apply(ID, Phase.PHASE_RESPONSE_HEADERS, HookResult.getDefaultInstance());

        assertEquals(new DecisionPolicy.Outcome(closed.failure(ID, FailureCause.INTERNAL_ERROR),
                FailureCause.INTERNAL_ERROR, null, "worker result has neither verdict nor failure"), outcome);
    }
}
