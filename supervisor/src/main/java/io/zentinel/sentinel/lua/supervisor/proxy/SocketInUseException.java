package io.zentinel.sentinel.lua.supervisor.proxy;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The socket path is held by a live listener (a connection to it succeeded), so this agent must
 * not take it over. The CLI maps it to exit code 69 ({@code UNAVAILABLE}).
 */
public final class SocketInUseException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path socketPath;

    public SocketInUseException(Path socketPath) {
        super("socket " + socketPath + " is in use by a running agent");
        this.socketPath = socketPath;
    }

    public Path socketPath() {
        return socketPath;
    }
}
