package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.BodyChunk;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Phase;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ResponseInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import io.zentinel.sentinel.lua.worker.script.ScriptCatalog;
import io.zentinel.sentinel.lua.worker.script.ScriptSelector;

/** A loaded {@link LuaVm} over in-memory scripts, and builders for calls. */
final class TestVm {
    final ScriptCatalog catalog;
    final LuaVm vm;
    final List<LuaVm.ScriptLoad> loads;
    final List<ScriptProblem> problems = new ArrayList<>();

    private TestVm(RunLimits limits, List<ScriptSource> sources) {
        catalog = ScriptCatalog.compile(sources);
        vm = new LuaVm(0, limits, catalog, "1.2.3-test", false);
        loads = vm.load();
        problems.addAll(catalog.problems());
        List<ScriptSelector.Entry> entries = new ArrayList<>();
        for (LuaVm.ScriptLoad load : loads) {
            if (load.ok()) {
                entries.add(new ScriptSelector.Entry(load.script(), load.hooks()));
            } else {
                problems.add(load.problem());
            }
        }
        vm.use(new ScriptSelector(entries));
    }

    /** Scripts as file name, source, file name, source, ... */
    static TestVm of(String... filesAndSources) {
        return of(RunLimits.defaults(), filesAndSources);
    }

    static TestVm of(RunLimits limits, String... filesAndSources) {
        List<ScriptSource> sources = new ArrayList<>();
        for (int i = 0; i < filesAndSources.length; i += 2) {
            sources.add(ScriptSource.newBuilder().setFileName(filesAndSources[i]).setSource(filesAndSources[i + 1]).build());
        }
        return new TestVm(limits, sources);
    }

    /** A VM that must have loaded every script. */
    static TestVm loaded(String... filesAndSources) {
        TestVm vm = of(filesAndSources);
        assertEquals(List.of(), vm.problems);
        return vm;
    }

    static String resource(String name) {
        try (InputStream in = TestVm.class.getResourceAsStream(name)) {
            assertTrue(in != null, "missing test resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    HookResult call(HookCall call) {
        return vm.handle(call);
    }

    HookResult call(HookCall.Builder call) {
        return vm.handle(call.build());
    }

    static RequestInfo.Builder request(String method, String uri, String... headers) {
        RequestInfo.Builder r = RequestInfo.newBuilder().setMethod(method).setUri(uri).setClientIp("192.0.2.7")
                .setClientPort(51514).setProtocol("HTTP/1.1").setRequestId("req-1").setTimestamp("2026-01-01T00:00:00Z");
        return r.setHeaderList(headerList(headers));
    }

    /** An encoded header list of {@code name, value, name, value, ...}. */
    static ByteString headerList(String... namesAndValues) {
        HeaderList.Builder list = HeaderList.newBuilder();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            list.addHeaders(Header.newBuilder().setName(namesAndValues[i]).addValues(namesAndValues[i + 1]));
        }
        return list.build().toByteString();
    }

    /** An encoded header list of {@code headers}. */
    static ByteString headerList(Header.Builder... headers) {
        HeaderList.Builder list = HeaderList.newBuilder();
        for (Header.Builder header : headers) {
            list.addHeaders(header);
        }
        return list.build().toByteString();
    }

    static HookCall.Builder requestHeaders(String method, String uri, String... headers) {
        return HookCall.newBuilder().setCallId(7).setPhase(Phase.PHASE_REQUEST_HEADERS).setCorrelationId("corr-1")
                .setRequest(request(method, uri, headers));
    }

    static HookCall.Builder responseHeaders(int status, String... headers) {
        ResponseInfo.Builder response = ResponseInfo.newBuilder().setStatus(status).setHeaderList(headerList(headers));
        return HookCall.newBuilder().setCallId(8).setPhase(Phase.PHASE_RESPONSE_HEADERS).setCorrelationId("corr-1")
                .setRequest(request("GET", "/api/items?page=2")).setResponse(response);
    }

    static HookCall.Builder requestBody(String chunk, int index, boolean last, String body) {
        BodyChunk.Builder c = BodyChunk.newBuilder().setData(ByteString.copyFromUtf8(chunk)).setChunkIndex(index)
                .setIsLast(last).setComplete(last);
        if (last && !body.equals(chunk)) {
            c.setBody(ByteString.copyFromUtf8(body)); // a body of this one chunk is sent as its data alone
        }
        return HookCall.newBuilder().setCallId(9).setPhase(Phase.PHASE_REQUEST_BODY).setCorrelationId("corr-1")
                .setRequest(request("POST", "/upload")).setChunk(c);
    }
}
