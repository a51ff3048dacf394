package io.zentinel.sentinel.lua.worker.sandbox;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * The {@code os} table of the sandbox: only {@code os.time}, {@code os.clock}, {@code os.date}
 * and {@code os.difftime}, which read clocks and nothing else. No {@code execute}, {@code exit},
 * {@code getenv}, {@code remove}, {@code rename}, {@code tmpname} or {@code setlocale}.
 *
 * <ul>
 * <li>{@code os.time([t])}: seconds since the epoch; with a table ({@code year}, {@code month},
 *     {@code day} required, {@code hour} defaulting to 12, {@code min} and {@code sec} to 0,
 *     out-of-range fields normalised), that moment in the worker's time zone.</li>
 * <li>{@code os.clock()}: CPU seconds used by the VM's thread (not by the whole process).</li>
 * <li>{@code os.date([format [, time]])}: a leading {@code !} means UTC, otherwise the worker's
 *     time zone; {@code *t} returns a table ({@code year month day hour min sec wday yday isdst});
 *     otherwise the C-locale conversions {@code %a %A %b %B %c %d %D %e %F %h %H %I %j %m %M %n
 *     %p %S %t %T %u %w %x %X %y %Y %z %Z %%}. Any other conversion is a Lua error.</li>
 * </ul>
 */
final class SafeOsLib {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private SafeOsLib() {
    }

    static ReadOnlyTable create() {
        LuaTable os = new LuaTable();
        os.rawset("time", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return LuaValue.valueOf((double) time(args.arg1()));
            }
        });
        os.rawset("clock", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                long nanos = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime()
                        : System.nanoTime();
                return LuaValue.valueOf(nanos / 1e9);
            }
        });
        os.rawset("date", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                String format = args.optjstring(1, "%c");
                long seconds = args.isnoneornil(2) ? Instant.now().getEpochSecond() : (long) Math.floor(args.checkdouble(2));
                return date(format, seconds);
            }
        });
        os.rawset("difftime", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return LuaValue.valueOf(args.checkdouble(1) - args.optdouble(2, 0));
            }
        });
        return new ReadOnlyTable(os);
    }

    static long time(LuaValue table) {
        if (table.isnil()) {
            return Instant.now().getEpochSecond();
        }
        LuaTable t = table.checktable();
        long year = field(t, "year", -1);
        long month = field(t, "month", -1);
        long day = field(t, "day", -1);
        long hour = field(t, "hour", 12);
        long min = field(t, "min", 0);
        long sec = field(t, "sec", 0);
        if (year < -999_999 || year > 999_999) {
            throw new LuaError("field 'year' is out-of-bound");
        }
        LocalDateTime local = LocalDateTime.of((int) year, 1, 1, 0, 0)
                .plusMonths(month - 1).plusDays(day - 1).plusHours(hour).plusMinutes(min).plusSeconds(sec);
        return local.atZone(ZoneId.systemDefault()).toEpochSecond();
    }

    private static long field(LuaTable t, String key, long orElse) {
        LuaValue v = t.get(key);
        if (v.isnil()) {
            if (orElse < 0) {
                throw new LuaError("field '" + key + "' missing in date table");
            }
            return orElse;
        }
        if (!v.isnumber()) {
            throw new LuaError("field '" + key + "' is not an integer");
        }
        double d = v.todouble();
        if (d != Math.floor(d) || Math.abs(d) > 1e12) {
            throw new LuaError("field '" + key + "' is out-of-bound");
        }
        return (long) d;
    }

    static LuaValue date(String format, long seconds) {
        ZoneId zone = ZoneId.systemDefault();
        String f = format;
        if (f.startsWith("!")) {
            zone = ZoneOffset.UTC;
            f = f.substring(1);
        }
        ZonedDateTime t;
        try {
            t = Instant.ofEpochSecond(seconds).atZone(zone);
        } catch (RuntimeException e) {
            throw new LuaError("time out-of-bounds");
        }
        if (f.startsWith("*t")) {
            LuaTable table = new LuaTable();
            table.rawset("year", LuaValue.valueOf(t.getYear()));
            table.rawset("month", LuaValue.valueOf(t.getMonthValue()));
            table.rawset("day", LuaValue.valueOf(t.getDayOfMonth()));
            table.rawset("hour", LuaValue.valueOf(t.getHour()));
            table.rawset("min", LuaValue.valueOf(t.getMinute()));
            table.rawset("sec", LuaValue.valueOf(t.getSecond()));
            table.rawset("wday", LuaValue.valueOf(t.getDayOfWeek().getValue() % 7 + 1));
            table.rawset("yday", LuaValue.valueOf(t.getDayOfYear()));
            table.rawset("isdst", LuaValue.valueOf(zone.getRules().isDaylightSavings(t.toInstant())));
            return table;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < f.length(); i++) {
            char c = f.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (++i >= f.length()) {
                throw new LuaError("invalid conversion specifier '%'");
            }
            conversion(out, f.charAt(i), t);
        }
        return LuaValue.valueOf(out.toString());
    }

    private static void conversion(StringBuilder out, char c, ZonedDateTime t) {
        switch (c) {
            case 'a' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ROOT));
            case 'A' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ROOT));
            case 'b', 'h' -> out.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ROOT));
            case 'B' -> out.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ROOT));
            case 'c' -> {
                conversion(out, 'a', t);
                out.append(' ');
                conversion(out, 'b', t);
                out.append(' ');
                conversion(out, 'e', t);
                out.append(' ');
                conversion(out, 'T', t);
                out.append(' ');
                conversion(out, 'Y', t);
            }
            case 'd' -> two(out, t.getDayOfMonth());
            case 'D' -> {
                conversion(out, 'm', t);
                out.append('/');
                conversion(out, 'd', t);
                out.append('/');
                conversion(out, 'y', t);
            }
            case 'e' -> out.append(t.getDayOfMonth() < 10 ? " " : "").append(t.getDayOfMonth());
            case 'F' -> {
                conversion(out, 'Y', t);
                out.append('-');
                conversion(out, 'm', t);
                out.append('-');
                conversion(out, 'd', t);
            }
            case 'H' -> two(out, t.getHour());
            case 'I' -> two(out, t.getHour() % 12 == 0 ? 12 : t.getHour() % 12);
            case 'j' -> out.append(String.format(Locale.ROOT, "%03d", t.getDayOfYear()));
            case 'm' -> two(out, t.getMonthValue());
            case 'M' -> two(out, t.getMinute());
            case 'n' -> out.append('\n');
            case 'p' -> out.append(t.getHour() < 12 ? "AM" : "PM");
            case 'S' -> two(out, t.getSecond());
            case 't' -> out.append('\t');
            case 'T', 'X' -> {
                conversion(out, 'H', t);
                out.append(':');
                conversion(out, 'M', t);
                out.append(':');
                conversion(out, 'S', t);
            }
            case 'u' -> out.append(t.getDayOfWeek().getValue());
            case 'w' -> out.append(t.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : t.getDayOfWeek().getValue());
            case 'x' -> conversion(out, 'D', t);
            case 'y' -> two(out, Math.floorMod(t.getYear(), 100));
            case 'Y' -> out.append(t.getYear());
            case 'z' -> {
                int total = t.getOffset().getTotalSeconds() / 60;
                out.append(total < 0 ? '-' : '+');
                two(out, Math.abs(total) / 60);
                two(out, Math.abs(total) % 60);
            }
            case 'Z' -> out.append(t.getZone() instanceof ZoneOffset o && o.equals(ZoneOffset.UTC) ? "UTC"
                    : t.getZone().getDisplayName(TextStyle.SHORT, Locale.ROOT));
            case '%' -> out.append('%');
            default -> throw new LuaError("invalid conversion specifier '%" + c + "'");
        }
    }

    private static void two(StringBuilder out, int value) {
        if (value < 10) {
            out.append('0');
        }
        out.append(value);
    }
}
