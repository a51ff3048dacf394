package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.config.ConfigException;
import io.zentinel.sentinel.lua.supervisor.config.ConfigLoader;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options every command that reads the configuration shares, and how they combine with
 * the environment and the file: command-line flag, then environment variable, then the file,
 * then the default.
 */
public final class AgentOptions {

    public static final String ENV_CONFIG = "LUA_CONFIG";
    public static final String ENV_SOCKET = "AGENT_SOCKET";
    public static final String ENV_SCRIPTS = "LUA_SCRIPTS_DIR";
    public static final String ENV_LOG_LEVEL = "LOG_LEVEL";
    /** The seed agent's name for the log level; read when LOG_LEVEL is not set and it holds a plain level. */
    public static final String ENV_RUST_LOG = "RUST_LOG";

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Configuration file (KDL). Env: LUA_CONFIG. Default: built-in defaults.")
    Path config;

    @Option(names = {"-s", "--socket"}, paramLabel = "PATH",
            description = "Unix socket the proxy connects to. Env: AGENT_SOCKET. Default: /tmp/sentinel-lua.sock.")
    Path socket;

    @Option(names = "--scripts", paramLabel = "DIR",
            description = "Scripts directory. Env: LUA_SCRIPTS_DIR. Default: /etc/sentinel/scripts.")
    Path scripts;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "trace, debug, info, warn or error. Env: LOG_LEVEL (or RUST_LOG). Default: info.")
    String logLevel;

    /**
     * The effective configuration.
     *
     * @throws ConfigException when the file or an override is invalid (exit 78)
     */
    public AgentConfig resolve(Map<String, String> env) {
        Path file = config != null ? config : pathOf(env.get(ENV_CONFIG));
        AgentConfig result = file != null ? ConfigLoader.load(file) : AgentConfig.defaults();
        Path socketPath = socket != null ? socket : pathOf(env.get(ENV_SOCKET));
        if (socketPath != null) {
            result = result.withSocketPath(socketPath.toAbsolutePath());
        }
        Path scriptsDir = scripts != null ? scripts : pathOf(env.get(ENV_SCRIPTS));
        if (scriptsDir != null) {
            result = result.withScriptsDirectory(scriptsDir.toAbsolutePath());
        }
        String level = logLevel != null ? logLevel : levelFromEnv(env);
        if (level != null) {
            result = result.withLogLevel(level.toLowerCase(Locale.ROOT));
        }
        return result;
    }

    private static String levelFromEnv(Map<String, String> env) {
        String level = blankToNull(env.get(ENV_LOG_LEVEL));
        if (level != null) {
            return level;
        }
        // RUST_LOG may hold filter directives ("sentinel=debug"); only a plain level carries over.
        String rust = blankToNull(env.get(ENV_RUST_LOG));
        if (rust != null && AgentConfig.LOG_LEVELS.contains(rust.toLowerCase(Locale.ROOT))) {
            return rust;
        }
        return null;
    }

    private static Path pathOf(String value) {
        String text = blankToNull(value);
        return text == null ? null : Path.of(text);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
