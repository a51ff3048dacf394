package io.zentinel.sentinel.lua.supervisor.admin;

import java.io.IOException;

/** No agent answers on the admin socket: not running, another path, or not allowed to connect (exit 69). */
public final class AgentUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    public AgentUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
