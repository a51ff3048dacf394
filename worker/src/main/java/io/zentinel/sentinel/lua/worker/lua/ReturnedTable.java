package io.zentinel.sentinel.lua.worker.lua;

import java.util.Locale;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The return value of a hook function. {@code nil} (or nothing) means "what {@code sentinel.*}
 * recorded". A table is the Rust agent's result form, applied on top of that:
 * <pre>
 * return {
 *   decision = "allow" | "block" | "deny" | "redirect",
 *   status = 403, body = "Forbidden",               -- block; redirect: status 3xx
 *   url = "https://example.com/",                   -- redirect (the Rust agent's "body" works too)
 *   add_request_headers = {name = value, ...},      -- SET each header
 *   remove_request_headers = {"name", ...},
 *   add_response_headers = {name = value, ...},     -- SET; with "block" also sent with the block
 *   remove_response_headers = {"name", ...},
 *   tags = {...}, rule_ids = {...},
 *   metadata = {key = value, ...},                  -- alias routing_metadata
 *   needs_more = true,
 *   request_body_mutation = {action = "pass_through" | "replace" | "drop", data = "..."},
 *   response_body_mutation = {...},                 -- body phases only
 * }
 * </pre>
 * {@code confidence} and {@code reason_codes} are accepted and ignored (the pipe has no field for
 * them). Any other key, another type of return value, {@code decision = "challenge"} or a bad
 * value is a script error naming what is wrong.
 */
final class ReturnedTable {
    static final Set<String> KEYS = Set.of("decision", "status", "body", "url", "add_request_headers",
            "remove_request_headers", "add_response_headers", "remove_response_headers", "tags", "rule_ids",
            "metadata", "routing_metadata", "needs_more", "request_body_mutation", "response_body_mutation",
            "confidence", "reason_codes");

    private ReturnedTable() {
    }

    /**
     * Applies what {@code function} returned to {@code state}.
     *
     * @throws LuaError describing the first problem
     */
    static void apply(Varargs returned, CallState state, String function) {
        LuaValue value = returned.arg1();
        if (value.isnil()) {
            return;
        }
        if (!(value instanceof LuaTable t)) {
            throw new LuaError(function + " returned a " + value.typename() + " (expected nothing or a table)");
        }
        String fn = function + " result";
        forEach(t, (k, v) -> {
            if (!k.isstring() || !KEYS.contains(k.tojstring())) {
                throw new LuaError(fn + ": unknown key '" + k.tojstring() + "'");
            }
        });
        decision(t, state, fn);
        LuaValue block = t.rawget("decision");
        boolean blocking = block.isstring() && Set.of("block", "deny").contains(block.tojstring().toLowerCase(Locale.ROOT));
        map(t, "add_request_headers", fn, (name, v) -> state.requestHeaders().set(name, v));
        list(t, "remove_request_headers", fn, name -> state.requestHeaders().remove(header(name, fn)));
        map(t, "add_response_headers", fn, (name, v) -> {
            state.responseHeaders().set(name, v);
            if (blocking) {
                state.blockHeader(name, v);
            }
        });
        list(t, "remove_response_headers", fn, name -> state.responseHeaders().remove(header(name, fn)));
        list(t, "tags", fn, state::tag);
        list(t, "rule_ids", fn, state::ruleId);
        metadata(t, "metadata", fn, state);
        metadata(t, "routing_metadata", fn, state);
        LuaValue needsMore = t.rawget("needs_more");
        if (!needsMore.isnil()) {
            state.needsMore(needsMore.toboolean());
        }
        bodyMutation(t, state, fn);
    }

    private static void decision(LuaTable t, CallState state, String fn) {
        LuaValue decision = t.rawget("decision");
        if (decision.isnil()) {
            return;
        }
        if (!decision.isstring()) {
            throw new LuaError(fn + ": decision must be a string (got " + decision.typename() + ")");
        }
        LuaValue status = t.rawget("status");
        LuaValue body = t.rawget("body");
        switch (decision.tojstring().toLowerCase(Locale.ROOT)) {
            case "allow" -> state.allow();
            case "block", "deny" -> state.block(status.isnil() ? 0 : SentinelLib.status(status, 100, 599, fn),
                    body.isnil() ? null : string(body, "body", fn));
            case "redirect" -> {
                LuaValue url = t.rawget("url").isnil() ? body : t.rawget("url");
                state.redirect(SentinelLib.url(url, fn), status.isnil() ? 0 : SentinelLib.status(status, 300, 399, fn));
            }
            case "challenge" -> throw new LuaError(fn + ": decision 'challenge' is not supported by this agent");
            default -> throw new LuaError(fn + ": unknown decision '" + decision.tojstring()
                    + "' (expected allow, block, deny or redirect)");
        }
    }

    private static void bodyMutation(LuaTable t, CallState state, String fn) {
        LuaValue request = t.rawget("request_body_mutation");
        LuaValue response = t.rawget("response_body_mutation");
        if (!request.isnil() && !response.isnil()) {
            throw new LuaError(fn + ": request_body_mutation and response_body_mutation cannot both be set");
        }
        LuaValue mutation = request.isnil() ? response : request;
        if (mutation.isnil()) {
            return;
        }
        if (!state.hasBody()) {
            throw new LuaError(fn + ": a body mutation needs a body phase");
        }
        if (!(mutation instanceof LuaTable m)) {
            throw new LuaError(fn + ": a body mutation must be a table (got " + mutation.typename() + ")");
        }
        String action = m.rawget("action").isnil() ? "replace" : string(m.rawget("action"), "action", fn);
        switch (action) {
            case "pass_through" -> state.keepBody();
            case "drop" -> state.replaceBody(new byte[0]);
            case "replace" -> {
                LuaValue data = m.rawget("data");
                if (!data.isstring()) {
                    throw new LuaError(fn + ": a 'replace' body mutation needs data (got " + data.typename() + ")");
                }
                LuaString s = data.checkstring();
                byte[] bytes = new byte[s.m_length];
                s.copyInto(0, bytes, 0, bytes.length);
                state.replaceBody(bytes);
            }
            default -> throw new LuaError(fn + ": unknown body mutation action '" + action
                    + "' (expected pass_through, replace or drop)");
        }
    }

    private static void metadata(LuaTable t, String key, String fn, CallState state) {
        map(t, key, fn, (k, v) -> state.metadata(k, v), false);
    }

    private static void map(LuaTable t, String key, String fn, BiConsumer<String, String> each) {
        map(t, key, fn, each, true);
    }

    private static void map(LuaTable t, String key, String fn, BiConsumer<String, String> each, boolean headers) {
        LuaValue value = t.rawget(key);
        if (value.isnil()) {
            return;
        }
        if (!(value instanceof LuaTable map)) {
            throw new LuaError(fn + ": " + key + " must be a table of name = value (got " + value.typename() + ")");
        }
        forEach(map, (k, v) -> {
            String name = string(k, key + " name", fn);
            String text = string(v, key + " value", fn);
            if (headers) {
                each.accept(header(name, fn), SentinelLib.headerValue(text, fn));
            } else {
                each.accept(name, text);
            }
        });
    }

    private static void list(LuaTable t, String key, String fn, Consumer<String> each) {
        LuaValue value = t.rawget(key);
        if (value.isnil()) {
            return;
        }
        if (!(value instanceof LuaTable list)) {
            throw new LuaError(fn + ": " + key + " must be a list (got " + value.typename() + ")");
        }
        for (int i = 1; i <= list.rawlen(); i++) {
            each.accept(string(list.rawget(i), key + "[" + i + "]", fn));
        }
    }

    private static String header(String name, String fn) {
        return SentinelLib.headerName(name, fn);
    }

    private static String string(LuaValue v, String what, String fn) {
        if (!v.isstring()) {
            throw new LuaError(fn + ": " + what + " must be a string (got " + v.typename() + ")");
        }
        return v.tojstring();
    }

    private static void forEach(LuaTable t, BiConsumer<LuaValue, LuaValue> each) {
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs next = t.next(k);
            k = next.arg1();
            if (k.isnil()) {
                return;
            }
            each.accept(k, next.arg(2));
        }
    }
}
