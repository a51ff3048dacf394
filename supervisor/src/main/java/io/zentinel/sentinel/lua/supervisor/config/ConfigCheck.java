package io.zentinel.sentinel.lua.supervisor.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The checks the configuration records run in their compact constructors. Each message names the
 * key as it is written in the file and the rejected value, in one shape:
 * {@code <key> must <rule> (was <value>)}.
 */
final class ConfigCheck {

    /**
     * The longest socket path the kernel accepts: {@code sun_path} in {@code struct sockaddr_un} is
     * 108 bytes on Linux, including the terminating NUL.
     */
    static final int MAX_SOCKET_PATH_BYTES = 107;

    private ConfigCheck() {
    }

    static <T> T present(String key, T value) {
        if (value == null) {
            throw new ConfigException(key + " must be set (was null)");
        }
        return value;
    }

    static void atLeast(String key, long value, long min) {
        if (value < min) {
            throw new ConfigException(key + " must be >= " + min + " (was " + value + ")");
        }
    }

    static void between(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(key + " must be between " + min + " and " + max + " (was " + value + ")");
        }
    }

    /** Between {@code min} and {@code max}, or else {@code other} (e.g. "0 (no limit)"), which the caller allows. */
    static void between(String key, long value, long min, long max, String other) {
        if (value < min || value > max) {
            throw new ConfigException(key + " must be " + other + " or between " + min + " and " + max
                    + " (was " + value + ")");
        }
    }

    static void between(String key, Duration value, Duration min, Duration max) {
        present(key, value);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new ConfigException(key + " must be between " + DurationText.format(min) + " and "
                    + DurationText.format(max) + " (was " + DurationText.format(value) + ")");
        }
    }

    static void nonEmpty(String key, Path value) {
        present(key, value);
        if (value.toString().isEmpty()) {
            throw new ConfigException(key + " must not be empty (was \"\")");
        }
    }

    /** A path a Unix domain socket can be bound to. */
    static void socketPath(String key, Path value) {
        nonEmpty(key, value);
        int bytes = value.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SOCKET_PATH_BYTES) {
            throw new ConfigException(key + " must be at most " + MAX_SOCKET_PATH_BYTES
                    + " bytes long, the limit of a Unix socket address (was " + bytes + " bytes: " + value + ")");
        }
    }
}
