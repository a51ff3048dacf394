package io.zentinel.sentinel.lua.supervisor.admin;

import java.io.IOException;

/** admin.socket-path cannot be bound (other than {@code SocketInUseException}); the message names the key and path. */
public final class AdminSocketException extends IOException {
    private static final long serialVersionUID = 1L;

    public AdminSocketException(String message, Throwable cause) {
        super(message, cause);
    }
}
