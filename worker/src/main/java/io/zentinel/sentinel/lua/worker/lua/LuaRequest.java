package io.zentinel.sentinel.lua.worker.lua;

import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.worker.sandbox.ReadOnlyTable;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;

/**
 * The {@code request} object scripts get, one VM's worth: a userdata whose read-only metatable
 * holds the methods, so that each call costs one small object and no table is built until a
 * script reads headers.
 *
 * <p>Methods (seed README plus the request metadata of the pipe):
 * {@code get_header(name)} (first value, case-insensitive, {@code nil} when absent),
 * {@code get_headers(name)} (list of values) and {@code get_headers()} (lower-case name to list),
 * {@code add_header(name, value)}, {@code set_header(name, value)}, {@code remove_header(name)}
 * (recorded in order as request header mutations; later reads and later scripts see them),
 * {@code get_path()} (uri without the query), {@code get_query()} (after {@code ?}, {@code ""}
 * if none), {@code get_uri()}, {@code get_method()}, {@code get_source_ip()} (alias
 * {@code get_client_ip()}), {@code get_client_port()}, {@code get_protocol()},
 * {@code get_route_id()}, {@code get_upstream_id()}, {@code get_server_name()},
 * {@code get_tls_version()}, {@code get_tls_cipher()}, {@code get_traceparent()} (each
 * {@code nil} when the proxy did not send it), {@code get_request_id()}, {@code get_timestamp()},
 * {@code get_correlation_id()}, {@code get_body()} (the whole body in the body phase once it is
 * complete, else {@code nil}).
 *
 * <p>For scripts written for the Rust agent the object also has the plain fields
 * {@code method}, {@code uri}, {@code path}, {@code query}, {@code client_ip},
 * {@code correlation_id}, {@code headers} (name to values joined with {@code ", "}, looked up
 * case-insensitively) and {@code body}; fields cannot be assigned.
 */
final class LuaRequest {
    private final LuaTable metatable;
    private final LuaTable headersMetatable = new ReadOnlyTable(HttpHandle.caseInsensitiveMetatable());

    LuaRequest() {
        LuaTable methods = new LuaTable();
        HttpHandle.define(methods, false);
        text(methods, "get_path", r -> path(r.getUri()));
        text(methods, "get_query", r -> query(r.getUri()));
        text(methods, "get_uri", RequestInfo::getUri);
        text(methods, "get_method", RequestInfo::getMethod);
        text(methods, "get_source_ip", RequestInfo::getClientIp);
        text(methods, "get_client_ip", RequestInfo::getClientIp);
        text(methods, "get_protocol", RequestInfo::getProtocol);
        text(methods, "get_request_id", RequestInfo::getRequestId);
        text(methods, "get_timestamp", RequestInfo::getTimestamp);
        text(methods, "get_route_id", r -> r.hasRouteId() ? r.getRouteId() : null);
        text(methods, "get_upstream_id", r -> r.hasUpstreamId() ? r.getUpstreamId() : null);
        text(methods, "get_server_name", r -> r.hasServerName() ? r.getServerName() : null);
        text(methods, "get_tls_version", r -> r.hasTlsVersion() ? r.getTlsVersion() : null);
        text(methods, "get_tls_cipher", r -> r.hasTlsCipher() ? r.getTlsCipher() : null);
        text(methods, "get_traceparent", r -> r.hasTraceparent() ? r.getTraceparent() : null);
        methods.rawset("get_client_port", HttpHandle.method(false, "get_client_port",
                (h, args) -> LuaValue.valueOf(h.state.call.getRequest().getClientPort())));
        methods.rawset("get_correlation_id", HttpHandle.method(false, "get_correlation_id",
                (h, args) -> HttpHandle.text(h.state.call.getCorrelationId())));
        methods.rawset("get_body", HttpHandle.method(false, "get_body", (h, args) -> h.state.wholeBody()));
        this.metatable = new ReadOnlyTable(HttpHandle.metatable("request", new ReadOnlyTable(methods), this::field));
    }

    private interface Getter {
        String get(RequestInfo request);
    }

    private static void text(LuaTable methods, String name, Getter getter) {
        methods.rawset(name, HttpHandle.method(false, name, (h, args) -> {
            String value = getter.get(h.state.call.getRequest());
            return value == null ? LuaValue.NIL : HttpHandle.text(value);
        }));
    }

    /** A request object for the call; {@code mutable} is false in the response phases. */
    LuaValue wrap(CallState state, boolean mutable) {
        return new LuaUserdata(new HttpHandle(state, false, mutable), metatable);
    }

    private LuaValue field(HttpHandle h, String key) {
        RequestInfo r = h.state.call.getRequest();
        return switch (key) {
            case "method" -> HttpHandle.text(r.getMethod());
            case "uri" -> HttpHandle.text(r.getUri());
            case "path" -> HttpHandle.text(path(r.getUri()));
            case "query" -> HttpHandle.text(query(r.getUri()));
            case "client_ip" -> HttpHandle.text(r.getClientIp());
            case "correlation_id" -> HttpHandle.text(h.state.call.getCorrelationId());
            case "headers" -> h.headers().table(headersMetatable);
            case "body" -> h.state.wholeBody();
            default -> LuaValue.NIL;
        };
    }



    static String path(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    static String query(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? "" : uri.substring(q + 1);
    }
}
