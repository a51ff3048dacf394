package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminClient;
import io.zentinel.sentinel.lua.supervisor.admin.AdminErrorException;
import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol;
import io.zentinel.sentinel.lua.supervisor.admin.AgentUnavailableException;
import io.zentinel.sentinel.lua.supervisor.config.ConfigException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Which agent {@code status} and {@code reload} talk to: {@code --admin-socket}, else
 * {@code admin.socket-path} of the configuration file ({@code --config}, env {@code LUA_CONFIG}),
 * else the default {@code /tmp/sentinel-lua-admin.sock}.
 */
public final class AdminTarget {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Configuration file (KDL) whose admin.socket-path to use. Env: LUA_CONFIG.")
    Path config;

    @Option(names = "--admin-socket", paramLabel = "PATH",
            description = "Admin socket of the agent. Default: admin.socket-path of the configuration, "
                    + "else /tmp/sentinel-lua-admin.sock.")
    Path adminSocket;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the agent's answer (a reload waits for new workers). Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    /**
     * The admin socket's path.
     *
     * @throws ConfigException when the configuration file is invalid
     */
    Path socketPath(Map<String, String> env) {
        if (adminSocket != null) {
            return adminSocket.toAbsolutePath();
        }
        AgentOptions options = new AgentOptions();
        options.config = config;
        return options.resolve(env).admin().socketPath();
    }

    /** The answer timeout; the caller rejects values below one second as a usage error. */
    Duration timeout() {
        return Duration.ofSeconds(timeoutSeconds);
    }

    /**
     * The client for these options, or {@code null} after printing why there is none (the exit
     * status is then in {@code status[0]}).
     */
    AdminClient client(Map<String, String> env, PrintWriter err, int[] status) {
        if (timeoutSeconds < 1) {
            err.println("sentinel-lua-agent: --timeout must be at least 1 second (was " + timeoutSeconds + ")");
            status[0] = ExitCode.USAGE.code();
            return null;
        }
        try {
            return new AdminClient(socketPath(env), timeout());
        } catch (ConfigException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            status[0] = ExitCode.CONFIG.code();
            return null;
        }
    }

    /** Prints why talking to the agent failed; returns the exit status (69 unavailable, 1 otherwise). */
    static int failure(IOException e, PrintWriter err) {
        if (e instanceof AdminErrorException error) {
            boolean denied = AdminProtocol.ErrorCode.PERMISSION_DENIED.wireName().equals(error.code());
            err.println("sentinel-lua-agent: the agent " + (AdminErrorException.BAD_RESPONSE.equals(error.code())
                    ? "" : "refused the command (" + error.code() + "): ") + e.getMessage());
            return denied ? ExitCode.UNAVAILABLE.code() : ExitCode.SOFTWARE.code();
        }
        if (e instanceof AgentUnavailableException) {
            err.println("sentinel-lua-agent: " + e.getMessage());
        } else {
            err.println("sentinel-lua-agent: talking to the agent failed: " + e);
        }
        return ExitCode.UNAVAILABLE.code();
    }
}
