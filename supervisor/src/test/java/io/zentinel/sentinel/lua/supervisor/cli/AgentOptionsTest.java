package io.zentinel.sentinel.lua.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import io.zentinel.sentinel.lua.supervisor.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Precedence: command-line flag, then environment variable, then the file, then the default. */
class AgentOptionsTest {

    @TempDir
    Path dir;

    private AgentOptions parse(String... args) {
        AgentOptions options = new AgentOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    private Path configFile() throws Exception {
        return Files.writeString(dir.resolve("agent.kdl"), """
                socket-path "/tmp/from-file.sock"
                log-level "warn"
                scripts { directory "/srv/file-scripts" }
                """);
    }

    @Test
    void defaultsApplyWithoutFlagsEnvironmentOrFile() {
        AgentConfig config = parse().resolve(Map.of());
        assertEquals(Path.of("/tmp/sentinel-lua.sock"), config.socketPath());
        assertEquals(Path.of("/etc/sentinel/scripts"), config.scripts().directory());
        assertEquals("info", config.logLevel());
    }

    @Test
    void fileBeatsDefaults() throws Exception {
        AgentConfig config = parse("--config", configFile().toString()).resolve(Map.of());
        assertEquals(Path.of("/tmp/from-file.sock"), config.socketPath());
        assertEquals(Path.of("/srv/file-scripts"), config.scripts().directory());
        assertEquals("warn", config.logLevel());
    }

    @Test
    void environmentBeatsFileAndNamesTheFileToo() throws Exception {
        AgentConfig config = parse().resolve(Map.of(
                "LUA_CONFIG", configFile().toString(),
                "AGENT_SOCKET", "/tmp/from-env.sock",
                "LUA_SCRIPTS_DIR", "/srv/env-scripts",
                "LOG_LEVEL", "DEBUG"));
        assertEquals(Path.of("/tmp/from-env.sock"), config.socketPath());
        assertEquals(Path.of("/srv/env-scripts"), config.scripts().directory());
        assertEquals("debug", config.logLevel());
    }

    @Test
    void flagsBeatEnvironment() throws Exception {
        AgentConfig config = parse("--config", configFile().toString(), "--socket", "/tmp/from-flag.sock",
                "--scripts", "/srv/flag-scripts", "--log-level", "error")
                .resolve(Map.of("AGENT_SOCKET", "/tmp/from-env.sock", "LUA_SCRIPTS_DIR", "/srv/env-scripts",
                        "LOG_LEVEL", "debug"));
        assertEquals(Path.of("/tmp/from-flag.sock"), config.socketPath());
        assertEquals(Path.of("/srv/flag-scripts"), config.scripts().directory());
        assertEquals("error", config.logLevel());
    }

    @Test
    void plainRustLogLevelCarriesOverButFilterDirectivesDoNot() {
        assertEquals("debug", parse().resolve(Map.of("RUST_LOG", "debug")).logLevel());
        assertEquals("info", parse().resolve(Map.of("RUST_LOG", "sentinel_agent_lua=debug")).logLevel());
        assertEquals("warn", parse().resolve(Map.of("RUST_LOG", "debug", "LOG_LEVEL", "warn")).logLevel());
    }

    @Test
    void invalidLogLevelIsAConfigError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> parse("--log-level", "loud").resolve(Map.of()));
        assertEquals("log-level must be one of trace, debug, info, warn, error (was \"loud\")", e.getMessage());
    }
}
