package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import org.junit.jupiter.api.Test;

/** Loading scripts into a VM: top-level code, hooks found or declared, and what is left out. */
class LuaVmTest {

    private static String describe(ScriptProblem p) {
        return p.getFileName() + ":" + p.getLine() + ": " + p.getReason();
    }

    @Test
    void hooksDefaultToTheFunctionsAScriptDefines() {
        TestVm vm = TestVm.loaded("two.lua", "function on_request_headers() end\nfunction on_response_body() end\n"
                + "function on_something_else() end\nlocal function on_request_body() end");
        assertEquals(Set.of(Hook.REQUEST_HEADERS, Hook.RESPONSE_BODY), vm.loads.get(0).hooks());
    }

    @Test
    void declaredHooksAreTheOnesThatRun() {
        TestVm vm = TestVm.loaded("one.lua", "-- hook: request_headers\nfunction on_request_headers() end\n"
                + "function on_response_headers() error('never') end");
        assertEquals(Set.of(Hook.REQUEST_HEADERS), vm.loads.get(0).hooks());
        assertTrue(vm.call(TestVm.responseHeaders(200)).hasVerdict());
    }

    @Test
    void aDeclaredHookWithoutItsFunctionIsAProblem() {
        TestVm vm = TestVm.of("miss.lua", "-- name: miss\n-- hook: request_headers, response_headers\n"
                + "function on_request_headers() end");
        assertEquals(List.of("miss.lua:2: declares hook response_headers but defines no function on_response_headers"),
                vm.problems.stream().map(LuaVmTest::describe).toList());
    }

    @Test
    void aScriptWithoutHookFunctionsIsAProblem() {
        TestVm vm = TestVm.of("none.lua", "x = 1");
        assertEquals(List.of("none.lua:0: defines none of the hook functions (on_request_headers, "
                + "on_request_body_chunk, on_request_body, on_response_headers, on_response_body)"),
                vm.problems.stream().map(LuaVmTest::describe).toList());
    }

    @Test
    void failingTopLevelCodeIsAProblemWithItsLineAndTheOthersStillLoad() {
        TestVm vm = TestVm.of("bad.lua", "local t = nil\n\nlocal x = t.field\nfunction on_request_headers() end",
                "good.lua", "function on_request_headers() sentinel.add_tag('good') end");
        assertEquals(List.of("bad.lua:3: top-level code failed (SCRIPT_ERROR): bad.lua:3: attempt to index ? (a nil value)"),
                vm.problems.stream().map(LuaVmTest::describe).toList());
        assertEquals(List.of("good"), vm.call(TestVm.requestHeaders("GET", "/")).getScriptsRunList());
    }

    @Test
    void aLua54ScriptRunsItsHooksWithTheNewOperators() {
        TestVm vm = TestVm.loaded("buckets.lua", """
                -- name: buckets
                local SHIFT <const> = 4
                local function bucket(n) return (n >> SHIFT) & 0xF end
                function on_request_headers(request)
                  local len = #request.uri
                  sentinel.add_tag("len-" .. len .. "-half-" .. len // 2 .. "-bucket-" .. bucket(len << 2)
                    .. "-not-" .. ~len .. "-" .. math.type(len // 2) .. "-" .. math.type(len / 2))
                  if request.uri:find("/zero") then
                    return {decision = "block", status = 400 + len // (len - len)}
                  end
                end
                """);
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/api/items?page=2"));
        assertTrue(result.hasVerdict(), () -> "expected a verdict but got " + result.getFailure());
        assertEquals(List.of("lua:buckets", "len-17-half-8-bucket-4-not--18-integer-float"),
                result.getVerdict().getTagsList());

        HookResult failed = vm.call(TestVm.requestHeaders("GET", "/zero"));
        assertEquals(FailureKind.SCRIPT_ERROR, failed.getFailure().getKind());
        assertEquals("buckets.lua:9: attempt to divide by zero", failed.getFailure().getMessage());
    }

    @Test
    void topLevelCodeRunsUnderTheBudget() {
        TestVm vm = TestVm.of(RunLimits.defaults().withMaxInstructions(5_000), "spin.lua",
                "while true do end\nfunction on_request_headers() end");
        assertEquals(List.of("spin.lua:0: top-level code failed (INSTRUCTION_LIMIT): instructions (5001) exceeds the "
                + "maximum allowed (5000, from 'resource-limits.max-instructions')"),
                vm.problems.stream().map(LuaVmTest::describe).toList());
    }
}
