package io.zentinel.sentinel.lua.worker.lua.lib;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Objects;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import io.zentinel.sentinel.lua.worker.sandbox.LuaArgs;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaInteger;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The Lua {@code time} module: the current time as integer Unix seconds or milliseconds, and
 * strftime/strptime-style formatting and parsing in UTC (see {@link TimeFormat}).
 */
public final class TimeLib extends LuaModule {

    /** The format {@code time.format} uses when none is given: ISO 8601 in UTC. */
    public static final String DEFAULT_FORMAT = "%Y-%m-%dT%H:%M:%SZ";

    private final Clock clock;

    /** A module on the system clock. */
    public TimeLib(ExecutionGuard guard) {
        this(guard, Clock.systemUTC());
    }

    /** @param clock where {@code time.now} and {@code time.now_ms} read the time (a fixed clock in tests) */
    public TimeLib(ExecutionGuard guard, Clock clock) {
        super(guard);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String moduleName() {
        return "time";
    }

    @Override
    void define(LuaTable module) {
        function(module, "now", args -> LuaInteger.valueOf(Math.floorDiv(clock.millis(), 1000L)));
        function(module, "now_ms", args -> LuaInteger.valueOf(clock.millis()));
        function(module, "format", this::format);
        function(module, "parse", this::parse);
    }

    private Varargs format(Varargs args) {
        String fn = "time.format";
        long ts;
        if (args.arg(1).isnil()) {
            ts = Math.floorDiv(clock.millis(), 1000L);
        } else {
            double given = LuaArgs.number(args, 1, fn);
            double d = Math.floor(given);
            if (!(d >= TimeFormat.MIN_EPOCH_SECOND && d <= TimeFormat.MAX_EPOCH_SECOND)) {
                throw new LuaError(fn + ": timestamp (" + describe(given) + ") is out of range (years 0000 to 9999)");
            }
            ts = (long) d;
        }
        LuaString fmt = LuaArgs.optString(args, 2, fn);
        String out = TimeFormat.format(ts, fmt == null ? DEFAULT_FORMAT : LuaBytes.latin1(fmt), fn, guard);
        guard.checkStringLength(out.length());
        return LuaBytes.wrap(out.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A number as Lua 5.4 prints it (LuaJ 3.0.1 prints large doubles as "Infinity"). */
    private static String describe(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == Math.rint(d) && Math.abs(d) < 0x1p63) {
            return Long.toString((long) d);
        }
        return Double.toString(d).replace('E', 'e');
    }

    private Varargs parse(Varargs args) {
        String fn = "time.parse";
        String input = LuaBytes.latin1(LuaArgs.string(args, 1, fn));
        String fmt = LuaBytes.latin1(LuaArgs.string(args, 2, fn));
        try {
            return LuaInteger.valueOf(TimeFormat.parse(input, fmt, fn));
        } catch (TimeFormat.Mismatch e) {
            return LuaValue.varargsOf(LuaValue.NIL, LuaValue.valueOf(fn + ": " + e.getMessage()));
        }
    }
}
