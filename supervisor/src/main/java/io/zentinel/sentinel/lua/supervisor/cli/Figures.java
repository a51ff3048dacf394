package io.zentinel.sentinel.lua.supervisor.cli;

import java.util.Locale;

/** How the operator commands print sizes, percentages and durations. */
final class Figures {
    private Figures() {
    }

    /** {@code 512 B}, {@code 12.0 KiB}, {@code 48.3 MiB}, {@code 1.2 GiB}; {@code -} when unknown. */
    static String bytes(Long bytes) {
        if (bytes == null || bytes < 0) {
            return "-";
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** {@code 2.5}: one decimal; {@code -} when unknown. */
    static String percent(Double percent) {
        return percent == null ? "-" : String.format(Locale.ROOT, "%.1f", percent);
    }

    /** {@code 45s}, {@code 3m10s}, {@code 2h05m}, {@code 3d04h}. */
    static String age(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        if (seconds < 86400) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", seconds / 86400, seconds % 86400 / 3600);
    }

    /** {@code 850 ms}, {@code 1.8 s}. */
    static String millis(long millis) {
        return millis < 1000 ? millis + " ms" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    /** {@code 0.42 ms} from microseconds. */
    static String micros(long micros) {
        return String.format(Locale.ROOT, "%.2f ms", micros / 1000.0);
    }
}
