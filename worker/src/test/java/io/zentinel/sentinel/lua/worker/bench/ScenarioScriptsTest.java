package io.zentinel.sentinel.lua.worker.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.BodyChunk;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.worker.lua.LuaVm;
import io.zentinel.sentinel.lua.worker.script.ScriptCatalog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's scenario scripts (supervisor/src/bench/scenarios) load in the sandbox and decide
 * what the benchmark expects with the load generator's headers: a script that failed would turn
 * the benchmark into a measurement of the failure path.
 */
class ScenarioScriptsTest {
    private static final Path BENCH = Path.of("../supervisor/src/bench");

    private static LuaVm vm(String scenario) throws IOException {
        return InProcessAgent.loadedVm(0, ScriptCatalog.compile(InProcessAgent.scripts(
                BENCH.resolve("scenarios").resolve(scenario).resolve("scripts"))));
    }

    private static HookCall headers(String method, String uri) throws IOException {
        HookCall call = EngineBench.call(Files.readAllLines(BENCH.resolve("engine/headers.txt"), StandardCharsets.UTF_8));
        return call.toBuilder().setRequest(call.getRequest().toBuilder().setMethod(method).setUri(uri)).build();
    }

    private static Action decide(LuaVm vm, HookCall call) {
        HookResult result = vm.handle(call);
        assertTrue(result.hasVerdict(), () -> "the scripts failed: " + result.getFailure());
        return result.getVerdict().getAction();
    }

    @Test
    void headerOnlyAllowsTheLoadGeneratorsRequestAndAddsItsHeader() throws IOException {
        HookResult result = vm("header-only").handle(headers("GET", "/api/users?id=42"));

        assertEquals(Action.ALLOW, result.getVerdict().getAction());
        assertEquals("X-Processed-By", result.getVerdict().getRequestHeaders(0).getName());
    }

    @Test
    void chainRoutesEachRequestOfItsMixToItsScripts() throws IOException {
        LuaVm vm = vm("chain");
        List<String> mix = Files.readAllLines(BENCH.resolve("scenarios/chain/requests.txt"), StandardCharsets.UTF_8)
                .stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();

        assertEquals(6, mix.size());
        for (String line : mix) {
            String[] request = line.split(" ");
            HookResult result = vm.handle(headers(request[0], request[1]));
            assertTrue(result.hasVerdict(), () -> line + ": " + result.getFailure());
            Action expected = line.equals("POST /admin/users") ? Action.BLOCK : Action.ALLOW;
            assertEquals(expected, result.getVerdict().getAction(), line);
            int scripts = result.getScriptsRunCount();
            int expectedScripts = switch (line) {
                case "POST /api/orders/1001" -> 3;
                case "GET /health" -> 1;
                default -> 2;
            };
            assertEquals(expectedScripts, scripts, line + " ran " + result.getScriptsRunList());
        }
    }

    @Test
    void heavyVerifiesTheLoadGeneratorsTokenAndAllows() throws IOException {
        HookResult result = vm("heavy").handle(headers("GET", "/api/users?id=42"));

        assertEquals(Action.ALLOW, decide(vm("heavy"), headers("GET", "/api/users?id=42")));
        assertTrue(result.getVerdict().getRequestHeadersList().stream()
                .anyMatch(h -> h.getName().equals("X-Auth-Subject") && h.getValue().equals("42")), result::toString);
    }

    @Test
    void bodyScanAllowsAnOrderListAndBlocksAScript() throws IOException {
        LuaVm vm = vm("body");
        StringBuilder orders = new StringBuilder("[");
        while (orders.length() < 65536) {
            orders.append("{\"sku\":\"SKU-100001\",\"qty\":2,\"note\":\"deliver to the back door, ring twice\"},");
        }

        assertEquals(Action.ALLOW, decide(vm, body(orders.toString())));
        assertEquals(Action.BLOCK, decide(vm, body(orders + "<script>alert(1)</script>")));
    }

    private static HookCall body(String text) {
        ByteString bytes = ByteString.copyFromUtf8(text);
        return HookCall.newBuilder().setCallId(1).setPhase(Phase.PHASE_REQUEST_BODY).setCorrelationId("b")
                .setRequest(RequestInfo.getDefaultInstance())
                .setChunk(BodyChunk.newBuilder().setData(bytes).setIsLast(true).setComplete(true).setBody(bytes))
                .build();
    }
}
