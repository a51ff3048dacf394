package io.zentinel.sentinel.lua.supervisor.pool;

import java.io.IOException;

/** The scripts directory cannot be turned into a {@link ScriptSet}; the message names the file and the rule. */
public final class ScriptSetException extends IOException {
    private static final long serialVersionUID = 1L;

    public ScriptSetException(String message) {
        super(message);
    }

    public ScriptSetException(String message, Throwable cause) {
        super(message, cause);
    }
}
