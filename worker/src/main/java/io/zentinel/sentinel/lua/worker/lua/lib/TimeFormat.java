package io.zentinel.sentinel.lua.worker.lua.lib;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import org.luaj.vm2.LuaError;

/**
 * strftime/strptime-style conversions in UTC for {@code time.format} and {@code time.parse}.
 *
 * <p>Supported: {@code %Y %m %d %H %M %S %y %b %B %h %a %A %j %Z %z %s %p %I %e %F %T %D %%}.
 * Anything else after {@code %} is a format error ({@link LuaError}). {@link #parse} reports input
 * that does not fit the format as a {@link Mismatch}, which {@code time.parse} returns as
 * {@code nil, reason}.
 */
final class TimeFormat {

    /** 0000-01-01T00:00:00Z. */
    static final long MIN_EPOCH_SECOND = -62_167_219_200L;
    /** 9999-12-31T23:59:59Z. */
    static final long MAX_EPOCH_SECOND = 253_402_300_799L;

    private static final String CONVERSIONS = "YymdeHIMSjpbBhaAZzs%";
    private static final String[] MONTHS = {"January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December"};
    private static final String[] DAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
        "Sunday"};

    /** Input that does not fit the format. */
    static final class Mismatch extends Exception {
        private static final long serialVersionUID = 1L;

        Mismatch(String message) {
            super(message, null, false, false);
        }
    }

    private TimeFormat() {
    }

    // ------------------------------------------------------------------ format

    /** Formats {@code epochSecond}; the output is checked against the guard's string limit as it grows. */
    static String format(long epochSecond, String fmt, String fn, ExecutionGuard guard) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        StringBuilder out = new StringBuilder();
        String f = expand(fmt, fn);
        for (int i = 0; i < f.length(); i++) {
            char c = f.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (out.length() > guard.maxStringBytes()) {
                guard.checkStringLength(out.length());
            }
            char d = f.charAt(++i); // expand() rejected a trailing '%'
            switch (d) {
                case 'Y' -> pad(out, t.getYear(), 4);
                case 'y' -> pad(out, t.getYear() % 100, 2);
                case 'm' -> pad(out, t.getMonthValue(), 2);
                case 'd' -> pad(out, t.getDayOfMonth(), 2);
                case 'e' -> out.append(t.getDayOfMonth() < 10 ? " " : "").append(t.getDayOfMonth());
                case 'H' -> pad(out, t.getHour(), 2);
                case 'I' -> pad(out, t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2);
                case 'M' -> pad(out, t.getMinute(), 2);
                case 'S' -> pad(out, t.getSecond(), 2);
                case 'p' -> out.append(t.getHour() < 12 ? "AM" : "PM");
                case 'b', 'h' -> out.append(MONTHS[t.getMonthValue() - 1], 0, 3);
                case 'B' -> out.append(MONTHS[t.getMonthValue() - 1]);
                case 'a' -> out.append(DAYS[t.getDayOfWeek().ordinal()], 0, 3);
                case 'A' -> out.append(DAYS[t.getDayOfWeek().ordinal()]);
                case 'j' -> pad(out, t.getDayOfYear(), 3);
                case 'Z' -> out.append("UTC");
                case 'z' -> out.append("+0000");
                case 's' -> out.append(epochSecond);
                case '%' -> out.append('%');
                default -> throw unknown(d, fn);
            }
        }
        return out.toString();
    }

    private static void pad(StringBuilder out, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) {
            out.append('0');
        }
        out.append(s);
    }

    /**
     * Replaces {@code %F %T %D} by their definitions, and rejects unknown conversions and a
     * trailing lone {@code %} (format errors are errors even when the input would not get that far).
     */
    private static String expand(String fmt, String fn) {
        StringBuilder out = new StringBuilder(fmt.length() + 16);
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i + 1 == fmt.length()) {
                throw new LuaError(fn + ": the format ends with a lone '%'");
            }
            char d = fmt.charAt(++i);
            switch (d) {
                case 'F' -> out.append("%Y-%m-%d");
                case 'T' -> out.append("%H:%M:%S");
                case 'D' -> out.append("%m/%d/%y");
                default -> {
                    if (CONVERSIONS.indexOf(d) < 0) {
                        throw unknown(d, fn);
                    }
                    out.append('%').append(d);
                }
            }
        }
        return out.toString();
    }

    private static LuaError unknown(char d, String fn) {
        return new LuaError(fn + ": unknown conversion '%" + d + "' in the format");
    }

    // ------------------------------------------------------------------ parse

    /** Parses {@code input} (one char per byte) with {@code fmt} and returns Unix seconds. */
    static long parse(String input, String fmt, String fn) throws Mismatch {
        return new Fields(input).parse(expand(fmt, fn), fn);
    }

    /** The state of one parse: the input cursor and the fields seen so far. */
    private static final class Fields {
        private final String in;
        private int pos;
        private int year = 1970;
        private int yearOfCentury = -1;
        private int month = -1;
        private int day = -1;
        private int dayOfYear = -1;
        private int hour = 0;
        private int hour12 = -1;
        private boolean pm;
        private int minute = 0;
        private int second = 0;
        private int offsetSeconds = 0;
        private Long epoch;

        Fields(String in) {
            this.in = in;
        }

        long parse(String f, String fn) throws Mismatch {
            for (int i = 0; i < f.length(); i++) {
                char c = f.charAt(i);
                if (Character.isWhitespace(c)) {
                    while (pos < in.length() && Character.isWhitespace(in.charAt(pos))) {
                        pos++;
                    }
                    continue;
                }
                if (c != '%') {
                    literal(c);
                    continue;
                }
                char d = f.charAt(++i);
                switch (d) {
                    case 'Y' -> {
                        year = digits(4, 4, "%Y");
                        yearOfCentury = -1;
                    }
                    case 'y' -> yearOfCentury = digits(2, 2, "%y");
                    case 'm' -> month = digits(1, 2, "%m");
                    case 'd' -> day = digits(1, 2, "%d");
                    case 'e' -> {
                        if (pos < in.length() && in.charAt(pos) == ' ') {
                            pos++;
                        }
                        day = digits(1, 2, "%e");
                    }
                    case 'H' -> hour = digits(1, 2, "%H");
                    case 'I' -> hour12 = digits(1, 2, "%I");
                    case 'M' -> minute = digits(1, 2, "%M");
                    case 'S' -> second = digits(1, 2, "%S");
                    case 'j' -> dayOfYear = digits(1, 3, "%j");
                    case 'p' -> pm = name(new String[] {"AM", "PM"}, 2, "%p") == 1;
                    case 'b', 'B', 'h' -> month = name(MONTHS, 3, "%" + d) + 1;
                    case 'a', 'A' -> name(DAYS, 3, "%" + d); // checked for form, not against the date
                    case 'Z' -> name(new String[] {"UTC", "GMT", "Z"}, 1, "%Z");
                    case 'z' -> offsetSeconds = offset();
                    case 's' -> epoch = epochSeconds();
                    case '%' -> literal('%');
                    default -> throw unknown(d, fn);
                }
            }
            if (pos < in.length()) {
                throw new Mismatch("unexpected text at position " + (pos + 1));
            }
            return epoch != null ? epoch : resolve();
        }

        private void literal(char c) throws Mismatch {
            if (pos >= in.length() || in.charAt(pos) != c) {
                throw new Mismatch("expected '" + c + "' at position " + (pos + 1));
            }
            pos++;
        }

        private int digits(int min, int max, String what) throws Mismatch {
            int start = pos;
            int value = 0;
            while (pos < in.length() && pos - start < max && isDigit(in.charAt(pos))) {
                value = value * 10 + (in.charAt(pos++) - '0');
            }
            if (pos - start < min) {
                throw new Mismatch("expected " + (min == max ? min + "" : min + " to " + max) + " digits for "
                        + what + " at position " + (start + 1));
            }
            return value;
        }

        /** Matches one of {@code names} in full or by its first {@code abbrev} letters, ignoring case. */
        private int name(String[] names, int abbrev, String what) throws Mismatch {
            for (int i = 0; i < names.length; i++) {
                if (in.regionMatches(true, pos, names[i], 0, names[i].length())) {
                    pos += names[i].length();
                    return i;
                }
            }
            for (int i = 0; i < names.length; i++) {
                if (names[i].length() > abbrev && in.regionMatches(true, pos, names[i], 0, abbrev)) {
                    pos += abbrev;
                    return i;
                }
            }
            throw new Mismatch("expected a name for " + what + " at position " + (pos + 1));
        }

        /** {@code Z}, {@code +hh}, {@code +hhmm} or {@code +hh:mm} (or {@code -}). */
        private int offset() throws Mismatch {
            if (pos < in.length() && (in.charAt(pos) == 'Z' || in.charAt(pos) == 'z')) {
                pos++;
                return 0;
            }
            if (pos >= in.length() || (in.charAt(pos) != '+' && in.charAt(pos) != '-')) {
                throw new Mismatch("expected '+', '-' or 'Z' for %z at position " + (pos + 1));
            }
            int sign = in.charAt(pos++) == '-' ? -1 : 1;
            int hours = digits(2, 2, "%z");
            int minutes = 0;
            if (pos < in.length() && in.charAt(pos) == ':') {
                pos++;
                minutes = digits(2, 2, "%z");
            } else if (pos < in.length() && isDigit(in.charAt(pos))) {
                minutes = digits(2, 2, "%z");
            }
            if (hours > 18 || minutes > 59 || (hours == 18 && minutes > 0)) {
                throw new Mismatch("UTC offset out of range for %z");
            }
            return sign * (hours * 3600 + minutes * 60);
        }

        private long epochSeconds() throws Mismatch {
            int start = pos;
            if (pos < in.length() && in.charAt(pos) == '-') {
                pos++;
            }
            int digitsStart = pos;
            while (pos < in.length() && pos - digitsStart < 12 && isDigit(in.charAt(pos))) {
                pos++;
            }
            if (pos == digitsStart) {
                throw new Mismatch("expected digits for %s at position " + (start + 1));
            }
            long value = Long.parseLong(in.substring(start, pos));
            if (value < MIN_EPOCH_SECOND || value > MAX_EPOCH_SECOND) {
                throw new Mismatch("%s value out of range (years 0000 to 9999)");
            }
            return value;
        }

        private long resolve() throws Mismatch {
            if (yearOfCentury >= 0) {
                // POSIX: 69..99 are 1969..1999, 00..68 are 2000..2068
                year = yearOfCentury + (yearOfCentury >= 69 ? 1900 : 2000);
            }
            int h = hour;
            if (hour12 >= 0) {
                if (hour12 < 1 || hour12 > 12) {
                    throw new Mismatch("hour (" + hour12 + ") out of range for %I (1 to 12)");
                }
                h = hour12 % 12 + (pm ? 12 : 0);
            }
            check(h, 0, 23, "hour");
            check(minute, 0, 59, "minute");
            check(second, 0, 60, "second");
            LocalDate date;
            try {
                if (dayOfYear >= 0) {
                    check(dayOfYear, 1, LocalDate.of(year, 1, 1).lengthOfYear(), "day of year");
                    date = LocalDate.ofYearDay(year, dayOfYear);
                    if ((month >= 0 && month != date.getMonthValue()) || (day >= 0 && day != date.getDayOfMonth())) {
                        throw new Mismatch("day of year (" + dayOfYear + ") does not agree with the month and day");
                    }
                } else {
                    int m = month < 0 ? 1 : month;
                    int d = day < 0 ? 1 : day;
                    check(m, 1, 12, "month");
                    check(d, 1, LocalDate.of(year, m, 1).lengthOfMonth(), "day");
                    date = LocalDate.of(year, m, d);
                }
            } catch (DateTimeException e) {
                throw new Mismatch("invalid date (" + e.getMessage() + ")");
            }
            // a leap second (:60) counts as the first second of the next minute
            return date.atTime(h, minute, Math.min(second, 59)).toEpochSecond(ZoneOffset.UTC)
                    + (second == 60 ? 1 : 0) - offsetSeconds;
        }

        private static void check(int value, int min, int max, String what) throws Mismatch {
            if (value < min || value > max) {
                throw new Mismatch(what + " (" + value + ") out of range (" + min + " to " + max + ")");
            }
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }
    }
}
