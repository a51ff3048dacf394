package io.zentinel.sentinel.lua.supervisor.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code scripts} block: where the hook scripts live and how they are run.
 *
 * @param directory     {@code scripts.directory}: the directory of {@code *.lua} hook scripts
 * @param hotReload     {@code scripts.hot-reload}: reload the scripts when the directory changes
 * @param watchInterval {@code scripts.watch-interval}: how often the directory is checked for changes
 * @param timeout       {@code scripts.timeout}: wall-clock budget of one script run
 * @param cacheSize     {@code scripts.cache-size}: compiled scripts kept in memory
 * @param maxBodyBytes  {@code scripts.max-body-bytes}: largest buffered body handed to {@code on_*_body} hooks
 */
public record ScriptConfig(
        Path directory,
        boolean hotReload,
        Duration watchInterval,
        Duration timeout,
        int cacheSize,
        long maxBodyBytes) {

    /** Bodies are buffered in memory and copied to a worker, so they stay well below a heap. */
    static final long MAX_BODY_BYTES = 1024L * 1024 * 1024;

    public ScriptConfig {
        ConfigCheck.nonEmpty("scripts.directory", directory);
        ConfigCheck.between("scripts.watch-interval", watchInterval, Duration.ofMillis(100), Duration.ofHours(1));
        ConfigCheck.between("scripts.timeout", timeout, Duration.ofMillis(1), Duration.ofSeconds(60));
        ConfigCheck.atLeast("scripts.cache-size", cacheSize, 1);
        ConfigCheck.between("scripts.max-body-bytes", maxBodyBytes, 1, MAX_BODY_BYTES);
    }

    public static ScriptConfig defaults() {
        return new ScriptConfig(Path.of("/etc/sentinel/scripts"), false, Duration.ofSeconds(5),
                Duration.ofMillis(100), 200, 1024 * 1024);
    }

    public ScriptConfig withDirectory(Path newDirectory) {
        return new ScriptConfig(newDirectory, hotReload, watchInterval, timeout, cacheSize, maxBodyBytes);
    }
}
