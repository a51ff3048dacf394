package io.zentinel.sentinel.lua.supervisor.config;

/**
 * An invalid configuration: a file that cannot be read or parsed, an unknown key, a value of the
 * wrong type, or a value out of range. The message names the key as the operator writes it
 * ({@code vm-pool.max-executions}) and the rejected value. The command line maps it to exit
 * status 78 ({@code CONFIG}).
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
