package io.zentinel.sentinel.lua.supervisor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.ExitCode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminClient;
import io.zentinel.sentinel.lua.supervisor.admin.AdminErrorException;
import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol;
import io.zentinel.sentinel.lua.supervisor.admin.AgentUnavailableException;
import io.zentinel.sentinel.lua.supervisor.config.ConfigException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Which agent {@code status} and {@code reload} talk to: {@code --admin-socket}, else
 * {@code admin.socket-path} of the configuration file ({@code --config}, env {@code LUA_CONFIG},
 * else the packages' {@value #PACKAGED_CONFIG} where it can be read), else the default
 * {@code /tmp/sentinel-lua-admin.sock}. On a host where the agent runs as the packaged service,
 * a bare {@code sentinel-lua-agent status} thus reaches it.
 */
public final class AdminTarget {
    /** The configuration file the .deb and .rpm packages install and their service runs on. */
    public static final String PACKAGED_CONFIG = "/etc/sentinel/lua-agent.kdl";

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Configuration file (KDL) whose admin.socket-path to use. Env: LUA_CONFIG. "
                    + "Default: " + PACKAGED_CONFIG + " where it can be read.")
    Path config;

    @Option(names = "--admin-socket", paramLabel = "PATH",
            description = "Admin socket of the agent. Default: admin.socket-path of the configuration, "
                    + "else /tmp/sentinel-lua-admin.sock.")
    Path adminSocket;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the agent's answer (a reload waits for new workers). Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    private final Path packagedConfig;

    public AdminTarget() {
        this(Path.of(PACKAGED_CONFIG));
    }

    /** @param packagedConfig the file used when neither an option nor the environment names one */
    AdminTarget(Path packagedConfig) {
        this.packagedConfig = packagedConfig;
    }

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
        String named = env.get(AgentOptions.ENV_CONFIG);
        if (config == null && (named == null || named.isBlank()) && Files.isReadable(packagedConfig)) {
            options.config = packagedConfig;
        }
        return options.resolve(env).admin().socketPath();
    }

    /** The answer timeout; the caller rejects values below one second as a usage error. */
    Duration timeout() {
        return Duration.ofSeconds(timeoutSeconds);
    }

    /** What a command does with the agent's answer; returns the exit status. */
    @FunctionalInterface
    interface AnswerHandler {
        int handle(JsonNode body) throws IOException;
    }

    /**
     * Sends {@code command} to the agent and hands the answer to {@code handler}; every way this
     * can fail is printed on {@code err} and mapped to its exit status (2 a bad --timeout, 78 an
     * invalid configuration file, 69 no agent or refused, 1 an answer that cannot be printed).
     */
    int exchange(AdminProtocol.Command command, Map<String, String> env, PrintWriter err, AnswerHandler handler) {
        if (timeoutSeconds < 1) {
            err.println("sentinel-lua-agent: --timeout must be at least 1 second (was " + timeoutSeconds + ")");
            return ExitCode.USAGE.code();
        }
        AdminClient client;
        try {
            client = new AdminClient(socketPath(env), timeout());
        } catch (ConfigException e) {
            err.println("sentinel-lua-agent: " + e.getMessage());
            return ExitCode.CONFIG.code();
        }
        try {
            return handler.handle(client.call(command));
        } catch (JsonProcessingException e) {
            err.println("sentinel-lua-agent: cannot print the agent's answer: " + e.getOriginalMessage());
            return ExitCode.SOFTWARE.code();
        } catch (IOException e) {
            return failure(e, err);
        } finally {
            err.flush();
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
