package io.zentinel.sentinel.lua.worker.bench;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.BodyChunk;
import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.worker.lua.LuaVm;
import io.zentinel.sentinel.lua.worker.script.ScriptCatalog;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.ZeroArgFunction;
import org.luaj.vm2.lib.jse.JsePlatform;

/**
 * The benchmark's script-engine measurements on LuaJ, printed as one JSON line each:
 *
 * <ul>
 * <li>{@code plain NAME DRIVER SCRIPT HEADERS WARMUP SECONDS}: runs {@code engine-bench.lua} (the
 *     same driver and script lua5.4 and luajit run) on LuaJ's standard globals, with the
 *     calling thread's CPU time as its clock;</li>
 * <li>{@code sandbox NAME SCRIPTS_DIR HEADERS WARMUP SECONDS}: one whole call through the agent's
 *     sandbox ({@link LuaVm#handle}: request object, budgets, script selection, verdict) with the
 *     same headers, or with a 64 KiB body when the scripts hook the request body, timed the same
 *     way.</li>
 * </ul>
 *
 * Run it with the worker's JVM flags to measure LuaJ as the workers run it.
 */
public final class EngineBench {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private EngineBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 7 && args[0].equals("plain")) {
            plain(args[1], Path.of(args[2]), Path.of(args[3]), Path.of(args[4]), args[5], args[6]);
        } else if (args.length == 6 && args[0].equals("sandbox")) {
            sandbox(args[1], Path.of(args[2]), Path.of(args[3]), Double.parseDouble(args[4]), Double.parseDouble(args[5]));
        } else {
            System.err.println("usage: EngineBench plain NAME DRIVER SCRIPT HEADERS WARMUP SECONDS\n"
                    + "       EngineBench sandbox NAME SCRIPTS_DIR HEADERS WARMUP SECONDS");
            System.exit(2);
        }
    }

    /** CPU seconds of the calling thread. */
    static double cpuSeconds() {
        return THREADS.getCurrentThreadCpuTime() / 1e9;
    }

    /** LuaJ's version and how this JVM compiles, for the report. */
    static String version() {
        boolean c1Only = ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:TieredStopAtLevel=1");
        return "LuaJ 3.0.1 (Lua 5.2) on Java " + Runtime.version().feature() + (c1Only
                ? ", C1 only" : ", C1 and C2 as in the workers");
    }

    private static void plain(String name, Path driver, Path script, Path headers, String warmup, String seconds) {
        Globals globals = JsePlatform.standardGlobals();
        LuaTable arg = new LuaTable();
        arg.set(0, driver.toString());
        arg.set(1, script.toString());
        arg.set(2, headers.toString());
        arg.set(3, warmup);
        arg.set(4, seconds);
        globals.set("arg", arg);
        globals.set("bench_engine", name);
        globals.set("bench_version", version());
        globals.set("bench_clock", new ZeroArgFunction() {
            @Override
            public LuaValue call() {
                return LuaValue.valueOf(cpuSeconds());
            }
        });
        globals.loadfile(driver.toString()).call();
    }

    private static void sandbox(String name, Path scriptsDir, Path headersFile, double warmup, double seconds)
            throws Exception {
        ScriptCatalog catalog = ScriptCatalog.compile(InProcessAgent.scripts(scriptsDir));
        LuaVm vm = InProcessAgent.loadedVm(0, catalog);
        HookCall call = call(Files.readAllLines(headersFile, StandardCharsets.UTF_8));
        boolean body = catalog.scripts().stream().anyMatch(s -> s.header().hooks().contains(Hook.REQUEST_BODY));
        if (body) {
            call = bodyCall(call.getRequest(), 65536);
        }
        int batch = body ? 10 : 1000;
        double t0 = cpuSeconds();
        while (cpuSeconds() - t0 < warmup) {
            run(vm, call, batch);
        }
        long calls = 0;
        long failures = 0;
        double start = cpuSeconds();
        double now = start;
        while (now - start < seconds) {
            failures += run(vm, call, batch);
            calls += batch;
            now = cpuSeconds();
        }
        String script = catalog.scripts().size() == 1 ? catalog.scripts().get(0).fileName()
                : catalog.scripts().size() + " scripts";
        System.out.println(String.format(Locale.ROOT,
                "{\"kind\":\"engine\",\"engine\":\"%s\",\"version\":\"%s\",\"script\":\"%s\",\"ns_per_call\":%.1f,\"calls\":%d,\"failures\":%d}",
                name, version(), script, (now - start) * 1e9 / calls, calls, failures));
    }

    /**
     * Runs the call {@code n} times; returns how many ended in a failure. A failure is expected
     * only from the wall-clock budget on a crowded machine (a call descheduled for 100 ms), so
     * it is counted and reported, not fatal; any other outcome than allow is a broken benchmark.
     */
    private static long run(LuaVm vm, HookCall call, int n) {
        long failures = 0;
        for (int i = 0; i < n; i++) {
            HookResult result = vm.handle(call);
            if (result.hasFailure() && result.getFailure().getKind() == FailureKind.TIME_LIMIT) {
                failures++;
            } else if (!result.hasVerdict() || result.getVerdict().getAction() != Action.ALLOW) {
                throw new IllegalStateException("the script did not allow: " + result);
            }
        }
        return failures;
    }

    /** A RequestBody call carrying a whole body of {@code size} bytes: a JSON list of orders, as the load generator's. */
    static HookCall bodyCall(RequestInfo request, int size) {
        StringBuilder orders = new StringBuilder("[");
        for (int i = 0; orders.length() < size; i++) {
            orders.append("{\"sku\":\"SKU-").append(100000 + i).append("\",\"qty\":").append(1 + i % 9)
                    .append(",\"note\":\"deliver to the back door, ring twice\"},");
        }
        ByteString body = ByteString.copyFromUtf8(orders.substring(0, size));
        return HookCall.newBuilder().setCallId(1).setPhase(Phase.PHASE_REQUEST_BODY).setCorrelationId("engine-bench")
                .setRequest(request)
                .setChunk(BodyChunk.newBuilder().setData(body).setIsLast(true).setComplete(true).setBody(body))
                .build();
    }

    /** A RequestHeaders call with the headers of {@code lines} ({@code name: value}) and the load generator's request. */
    static HookCall call(List<String> lines) {
        RequestInfo.Builder request = RequestInfo.newBuilder().setMethod("GET").setUri("/api/users?id=42")
                .setClientIp("127.0.0.1").setClientPort(51514).setProtocol("HTTP/1.1")
                .setRequestId("6f1c2a9e-4b7d-4e21-9a53-0c8d2f6b1e77").setTimestamp("2026-07-01T09:30:00.123456789+00:00");
        HeaderList.Builder headers = HeaderList.newBuilder();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.addHeaders(Header.newBuilder().setName(line.substring(0, colon).trim().toLowerCase(Locale.ROOT))
                        .addValues(line.substring(colon + 1).trim()));
            }
        }
        request.setHeaderList(headers.build().toByteString());
        return HookCall.newBuilder().setCallId(1).setPhase(Phase.PHASE_REQUEST_HEADERS).setCorrelationId("engine-bench")
                .setRequest(request).build();
    }
}
