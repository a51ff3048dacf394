package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import org.junit.jupiter.api.Test;

/** {@code sentinel.ctx} from phase to phase. */
class CtxTest {

    @Test
    void ctxWrittenInOnePhaseIsReadInTheNext() {
        TestVm vm = TestVm.loaded("ctx.lua", """
                function on_request_headers(request)
                    sentinel.ctx.user = "alice"
                    sentinel.ctx.count = 2
                    sentinel.ctx.ratio = 0.5
                    sentinel.ctx.nested = { a = { 1, 2, "three" }, ok = true, empty = {} }
                end
                function on_response_headers(response)
                    response:add_header("X-User", sentinel.ctx.user .. "/" .. sentinel.ctx.nested.a[3]
                        .. "/" .. tostring(sentinel.ctx.nested.ok) .. "/" .. sentinel.ctx.count)
                end
                """);
        HookResult first = vm.call(TestVm.requestHeaders("GET", "/"));
        assertTrue(first.getCtxChanged());
        assertEquals("{\"count\":2,\"nested\":{\"a\":[1,2,\"three\"],\"empty\":{},\"ok\":true},\"ratio\":0.5,"
                + "\"user\":\"alice\"}", first.getCtx().toStringUtf8());

        HookResult second = vm.call(TestVm.responseHeaders(200).setCtx(first.getCtx()));
        assertEquals("alice/three/true/2", second.getVerdict().getResponseHeaders(0).getValue());
        assertFalse(second.getCtxChanged());
        assertEquals(first.getCtx(), second.getCtx());
    }

    @Test
    void aCtxNobodyTouchesIsPassedBackUnchanged() {
        TestVm vm = TestVm.loaded("none.lua", "function on_request_headers() local x = sentinel.ctx.absent end");
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/"));
        assertFalse(result.getCtxChanged());
        HookResult withCtx = vm.call(TestVm.requestHeaders("GET", "/").setCtx(ByteString.copyFromUtf8("{\"a\":1}")));
        assertFalse(withCtx.getCtxChanged());
        assertEquals("{\"a\":1}", withCtx.getCtx().toStringUtf8());
    }

    @Test
    void nullsFromTheSupervisorBecomeAbsentValues() {
        TestVm vm = TestVm.loaded("n.lua",
                "function on_request_headers() sentinel.add_tag(tostring(sentinel.ctx.gone) .. ' ' .. #sentinel.ctx.list) end");
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/")
                .setCtx(ByteString.copyFromUtf8("{\"gone\":null,\"list\":[\"a\",\"b\"]}")));
        assertEquals(List.of("lua:n", "nil 2"), result.getVerdict().getTagsList());
    }

    @Test
    void aCtxLargerThanTheLimitFailsTheCall() {
        TestVm vm = TestVm.of(RunLimits.defaults().withMaxCtxBytes(32), "big.lua",
                "function on_request_headers() sentinel.ctx.blob = ('x'):rep(100) end");
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/"));
        assertEquals(FailureKind.CTX_LIMIT, result.getFailure().getKind());
        assertEquals("big", result.getFailure().getScript());
        assertEquals("encoded sentinel.ctx bytes (111) exceeds the maximum allowed (32, from "
                + "'resource-limits.max-ctx-bytes')", result.getFailure().getMessage());
    }

    @Test
    void valuesJsonCannotHoldAreScriptErrors() {
        TestVm fn = TestVm.loaded("f.lua", "function on_request_headers() sentinel.ctx.f = print end");
        assertEquals("sentinel.ctx: field 'f' is a function, which cannot be kept in the ctx",
                fn.call(TestVm.requestHeaders("GET", "/")).getFailure().getMessage());
        TestVm mixed = TestVm.loaded("m.lua", "function on_request_headers() sentinel.ctx.m = { 1, x = 2 } end");
        assertEquals("sentinel.ctx: a table has number keys that are not a sequence 1..n next to string keys",
                mixed.call(TestVm.requestHeaders("GET", "/")).getFailure().getMessage());
        TestVm cycle = TestVm.loaded("c.lua", "function on_request_headers() local t = {} t.t = t sentinel.ctx.c = t end");
        assertEquals("sentinel.ctx: tables nested deeper than 32 (a cycle?)",
                cycle.call(TestVm.requestHeaders("GET", "/")).getFailure().getMessage());
    }

    @Test
    void ctxCannotBeReplacedWhole() {
        TestVm vm = TestVm.loaded("r.lua", "function on_request_headers() sentinel.ctx = {} end");
        assertTrue(vm.call(TestVm.requestHeaders("GET", "/")).getFailure().getMessage().endsWith("table is read-only"));
    }
}
