package io.zentinel.sentinel.lua.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.VmRenewal;
import io.zentinel.sentinel.lua.worker.lua.CountingVm;
import io.zentinel.sentinel.lua.worker.lua.LuaVm;
import io.zentinel.sentinel.lua.worker.script.ScriptSelector;
import org.junit.jupiter.api.Test;

/** Renewal on one VM thread, every two calls, with scripts whose top-level code knows which load it is. */
class RenewingVmTest {
    /** Counts its calls in a global; its top-level code runs {@code loadRule} first. */
    private static String counter(String loadRule) {
        return "local load = next_count()\n" + loadRule + """
                function on_request_headers(request)
                    calls = (calls or 0) + 1
                    request:set_header("X-Calls", load .. "/" .. calls)
                end
                """;
    }

    private static RenewingVm renewingEveryTwoCalls(String source) {
        LuaVm vm = CountingVm.of("counter.lua", source);
        List<LuaVm.ScriptLoad> loads = vm.load();
        List<ScriptSelector.Entry> entries = List.of(new ScriptSelector.Entry(loads.get(0).script(),
                loads.get(0).hooks()));
        return new RenewingVm(vm, new ScriptSelector(entries),
                new VmLifetime(VmRenewal.newBuilder().setMaxExecutions(2).build(), System.nanoTime()));
    }

    /** The {@code load/calls} of each call. */
    private static List<String> calls(RenewingVm vm, int count) {
        HookCall call = HookCall.newBuilder().setPhase(Phase.PHASE_REQUEST_HEADERS)
                .setRequest(RequestInfo.newBuilder().setMethod("GET").setUri("/")).build();
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            seen.add(vm.handle(call).getVerdict().getRequestHeaders(0).getValue());
            vm.answered();
        }
        return seen;
    }

    @Test
    void freshEnvironmentsTakeOverWithTheirOwnGlobals() {
        RenewingVm vm = renewingEveryTwoCalls(counter(""));
        assertEquals(List.of("1/1", "1/2", "2/1", "2/2", "3/1"), calls(vm, 5));
        assertEquals(2, vm.renewals());
    }

    @Test
    void whenATopLevelFailsTheVmKeepsItsStateAndTriesAgainAfterAnotherLifetime() {
        RenewingVm vm = renewingEveryTwoCalls(counter("if load == 2 then error('not today') end\n"));
        assertEquals(List.of("1/1", "1/2", "1/3", "1/4", "3/1"), calls(vm, 5));
        assertEquals(1, vm.renewals());
    }

    @Test
    void environmentsWithOtherHooksAreDropped() {
        RenewingVm vm = renewingEveryTwoCalls(counter(
                "if load == 2 then function on_response_headers(response) end end\n"));
        assertEquals(List.of("1/1", "1/2", "1/3", "1/4", "3/1"), calls(vm, 5));
        assertEquals(1, vm.renewals());
    }
}
