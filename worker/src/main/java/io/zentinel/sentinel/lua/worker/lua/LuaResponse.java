package io.zentinel.sentinel.lua.worker.lua;

import io.zentinel.sentinel.lua.worker.sandbox.ReadOnlyTable;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;

/**
 * The {@code response} object of the response phases, one VM's worth (see {@link LuaRequest}).
 *
 * <p>Methods: {@code get_status()}, {@code get_header(name)}, {@code get_headers([name])},
 * {@code add_header}, {@code set_header}, {@code remove_header} (recorded as response header
 * mutations), {@code get_request()} (the request of the transaction, read-only),
 * {@code get_correlation_id()}, {@code get_body()} (the whole response body once complete, in
 * the body phase). Plain fields for Rust agent scripts: {@code status}, {@code headers},
 * {@code correlation_id}, {@code body}.
 */
final class LuaResponse {
    private final LuaTable metatable;
    private final LuaTable headersMetatable = new ReadOnlyTable(HttpHandle.caseInsensitiveMetatable());

    LuaResponse(LuaRequest requests) {
        LuaTable methods = new LuaTable();
        HttpHandle.define(methods, true);
        methods.rawset("get_status", HttpHandle.method(true, "get_status",
                (h, args) -> LuaValue.valueOf(h.state.call.getResponse().getStatus())));
        methods.rawset("get_request", HttpHandle.method(true, "get_request",
                (h, args) -> requests.wrap(h.state, false)));
        methods.rawset("get_correlation_id", HttpHandle.method(true, "get_correlation_id",
                (h, args) -> LuaValue.valueOf(h.state.call.getCorrelationId())));
        methods.rawset("get_body", HttpHandle.method(true, "get_body",
                (h, args) -> h.state.wholeBody()));
        this.metatable = new ReadOnlyTable(HttpHandle.metatable("response", new ReadOnlyTable(methods), this::field));
    }

    LuaValue wrap(CallState state, boolean mutable) {
        return new LuaUserdata(new HttpHandle(state, true, mutable), metatable);
    }

    private LuaValue field(HttpHandle h, String key) {
        return switch (key) {
            case "status" -> LuaValue.valueOf(h.state.call.getResponse().getStatus());
            case "correlation_id" -> LuaValue.valueOf(h.state.call.getCorrelationId());
            case "headers" -> h.headers().table(headersMetatable);
            case "body" -> h.state.wholeBody();
            default -> LuaValue.NIL;
        };
    }
}
