package io.zentinel.sentinel.lua.supervisor.config;

import java.nio.file.Path;

/**
 * The {@code admin} block.
 *
 * @param socketPath {@code admin.socket-path}: the Unix socket of the administration interface
 */
public record AdminConfig(Path socketPath) {

    public AdminConfig {
        ConfigCheck.socketPath("admin.socket-path", socketPath);
    }

    public static AdminConfig defaults() {
        return new AdminConfig(Path.of("/tmp/sentinel-lua-admin.sock"));
    }
}
