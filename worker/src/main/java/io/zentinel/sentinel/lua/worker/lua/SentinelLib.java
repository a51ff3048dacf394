package io.zentinel.sentinel.lua.worker.lua;

import java.util.Locale;

import io.zentinel.sentinel.lua.worker.sandbox.Sandbox;
import io.zentinel.sentinel.lua.worker.sandbox.ScriptLog;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * The {@code sentinel} table of one VM (read-only for scripts).
 *
 * <ul>
 * <li>{@code sentinel.set_decision(decision [, a [, b]])}: {@code "allow"};
 *     {@code "block" [, status [, body]]} (alias {@code "deny"}; no status and no body means 403
 *     with body {@code "Forbidden"}; status 100..599); {@code "redirect", url [, status]}
 *     (default 302; status 300..399). Any other decision is a Lua error.</li>
 * <li>{@code sentinel.block([status [, body [, headers]]])} with {@code headers} a table of
 *     response headers to send with the block, {@code sentinel.redirect(url [, status])},
 *     {@code sentinel.allow()}: the same decisions.</li>
 * <li>{@code sentinel.log(level, message)} ({@code trace debug info warn error}; one argument
 *     logs it at info) to the worker log with the script's name.</li>
 * <li>{@code sentinel.add_metadata(key, value)}: routing metadata; {@code sentinel.add_tag(tag)}
 *     and {@code sentinel.add_rule_id(id)}: audit tags and rule ids.</li>
 * <li>{@code sentinel.replace_body(data)} (body phases; {@code ""} drops the chunk) and
 *     {@code sentinel.needs_more([flag])}.</li>
 * <li>{@code sentinel.version}: the agent's version; {@code sentinel.ctx}: the transaction's
 *     context table, carried from phase to phase (see {@link CtxCodec}).</li>
 * </ul>
 * A block or redirect ends the chain after the script that decided it returns.
 */
public final class SentinelLib {
    private final Sandbox sandbox;
    private final LuaTable table;
    private CallState call;

    public SentinelLib(Sandbox sandbox, String version) {
        this.sandbox = sandbox;
        LuaTable t = new LuaTable();
        t.rawset("version", LuaValue.valueOf(version));
        function(t, "set_decision", this::setDecision);
        function(t, "block", args -> {
            CallState state = state("sentinel.block");
            state.block(args.isnoneornil(1) ? 0 : status(args.arg(1), 100, 599, "sentinel.block"),
                    args.isnoneornil(2) ? null : args.checkjstring(2));
            if (!args.isnoneornil(3)) {
                LuaTable headers = args.checktable(3);
                LuaValue k = LuaValue.NIL;
                while (true) {
                    Varargs next = headers.next(k);
                    k = next.arg1();
                    if (k.isnil()) {
                        break;
                    }
                    state.blockHeader(headerName(k.checkjstring(), "sentinel.block"),
                            headerValue(next.arg(2).checkjstring(), "sentinel.block"));
                }
            }
            return LuaValue.NONE;
        });
        function(t, "redirect", args -> {
            state("sentinel.redirect").redirect(url(args.arg1(), "sentinel.redirect"),
                    args.isnoneornil(2) ? 0 : status(args.arg(2), 300, 399, "sentinel.redirect"));
            return LuaValue.NONE;
        });
        function(t, "allow", args -> {
            state("sentinel.allow").allow();
            return LuaValue.NONE;
        });
        function(t, "log", this::log);
        function(t, "add_metadata", args -> {
            String key = args.checkjstring(1);
            if (key.isEmpty()) {
                throw new LuaError("sentinel.add_metadata: the key must not be empty");
            }
            state("sentinel.add_metadata").metadata(key, args.checkjstring(2));
            return LuaValue.NONE;
        });
        function(t, "add_tag", args -> {
            state("sentinel.add_tag").tag(args.checkjstring(1));
            return LuaValue.NONE;
        });
        function(t, "add_rule_id", args -> {
            state("sentinel.add_rule_id").ruleId(args.checkjstring(1));
            return LuaValue.NONE;
        });
        function(t, "replace_body", args -> {
            CallState state = state("sentinel.replace_body");
            if (!state.hasBody()) {
                throw new LuaError("sentinel.replace_body: only the body hooks can replace a body");
            }
            LuaString data = args.checkstring(1);
            byte[] bytes = new byte[data.m_length];
            data.copyInto(0, bytes, 0, bytes.length);
            state.replaceBody(bytes);
            return LuaValue.NONE;
        });
        function(t, "needs_more", args -> {
            state("sentinel.needs_more").needsMore(args.isnoneornil(1) || args.arg1().toboolean());
            return LuaValue.NONE;
        });
        LuaTable meta = new LuaTable();
        meta.rawset("__index", new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                if (key.isstring() && key.tojstring().equals("ctx")) {
                    return state("sentinel.ctx").ctx();
                }
                return LuaValue.NIL;
            }
        });
        t.setmetatable(meta);
        this.table = t;
    }

    /** The table to install as {@code sentinel} (the sandbox makes it read-only). */
    public LuaTable table() {
        return table;
    }

    /** Binds the functions to {@code state} for the duration of a call; {@code null} unbinds them. */
    void bind(CallState state) {
        this.call = state;
    }

    /** The call being handled, or {@code null} between calls. */
    CallState current() {
        return call;
    }

    private CallState state(String fn) {
        if (call == null) {
            throw new LuaError(fn + " can only be used while an event is handled, not in a script's top-level code");
        }
        return call;
    }

    private interface Body {
        Varargs apply(Varargs args);
    }

    private static void function(LuaTable t, String functionName, Body body) {
        t.rawset(functionName, new VarArgFunction() {
            {
                this.name = functionName; // inside this class, "name" is LibFunction's field
            }

            @Override
            public Varargs invoke(Varargs args) {
                return body.apply(args);
            }
        });
    }

    private Varargs setDecision(Varargs args) {
        CallState state = state("sentinel.set_decision");
        String decision = args.checkjstring(1).toLowerCase(Locale.ROOT);
        switch (decision) {
            case "allow" -> state.allow();
            case "block", "deny" -> state.block(
                    args.isnoneornil(2) ? 0 : status(args.arg(2), 100, 599, "sentinel.set_decision"),
                    args.isnoneornil(3) ? null : args.checkjstring(3));
            case "redirect" -> state.redirect(url(args.arg(2), "sentinel.set_decision"),
                    args.isnoneornil(3) ? 0 : status(args.arg(3), 300, 399, "sentinel.set_decision"));
            default -> throw new LuaError("sentinel.set_decision: unknown decision '" + args.checkjstring(1)
                    + "' (expected allow, block or redirect)");
        }
        return LuaValue.NONE;
    }

    private Varargs log(Varargs args) {
        ScriptLog.Level level = ScriptLog.Level.INFO;
        LuaValue message = args.arg1();
        if (args.narg() >= 2) {
            String name = args.checkjstring(1);
            level = ScriptLog.Level.parse(name);
            if (level == null) {
                throw new LuaError("sentinel.log: unknown level '" + name + "' (expected trace, debug, info, warn or error)");
            }
            message = args.arg(2);
        }
        if (ScriptLog.enabled(level)) {
            ScriptLog.log(level, sandbox.currentScript(), message.tojstring());
        }
        return LuaValue.NONE;
    }

    /** An HTTP status from a Lua number in {@code min..max}. */
    static int status(LuaValue value, int min, int max, String fn) {
        if (!value.isnumber()) {
            throw new LuaError(fn + ": status must be a number (got " + value.typename() + ")");
        }
        double d = value.todouble();
        if (d != Math.rint(d) || d < min || d > max) {
            throw new LuaError(fn + ": status " + value.tojstring() + " is not allowed here (" + min + ".." + max + ")");
        }
        return (int) d;
    }

    static String url(LuaValue value, String fn) {
        if (!value.isstring() || value.tojstring().isEmpty()) {
            throw new LuaError(fn + ": a redirect needs a URL (got " + (value.isstring() ? "\"\"" : value.typename()) + ")");
        }
        return headerValue(value.tojstring(), fn);
    }

    static String headerName(String name, String fn) {
        if (!HttpHandle.isToken(name)) {
            throw new LuaError(fn + ": '" + name + "' is not a valid header name");
        }
        return name;
    }

    static String headerValue(String value, String fn) {
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0 || value.indexOf('\0') >= 0) {
            throw new LuaError(fn + ": a header value or URL must not contain CR, LF or NUL");
        }
        return value;
    }
}
