package io.zentinel.sentinel.lua.supervisor;

/**
 * Exit statuses of the {@code sentinel-lua-agent} command (documented in the README).
 * The systemd unit lists {@link #USAGE} and {@link #CONFIG} in RestartPreventExitStatus, so an
 * operator error is not restarted in a loop.
 */
public enum ExitCode {
    /** Clean shutdown, or the command did what was asked. */
    OK(0),
    /** An unexpected internal error. */
    SOFTWARE(1),
    /** Bad command-line arguments. */
    USAGE(2),
    /** The socket cannot be bound (in use by a running agent), or no worker could be started. */
    UNAVAILABLE(69),
    /** Invalid configuration, or scripts that do not compile (check). */
    CONFIG(78);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
