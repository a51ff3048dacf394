package io.zentinel.sentinel.lua.supervisor.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    /** The configuration example of the seed README, verbatim. */
    static final String SEED_README_EXAMPLE = """
            socket-path "/var/run/sentinel/lua.sock"

            scripts {
                directory "/etc/sentinel/scripts"
                hot-reload true
                watch-interval 5
                timeout 100
                cache-size 200
            }

            vm-pool {
                size 20
                max-age 600
                max-executions 5000
            }

            resource-limits {
                max-memory 52428800  // 50MB
                max-instructions 10000000
                max-execution-time 200
                allow-filesystem false
                allow-network false
            }

            safety {
                fail-open true
                debug-scripts false
                max-concurrent 200
            }
            """;

    @Test
    void theSeedReadmeExampleLoadsUnchanged() {
        AgentConfig config = ConfigLoader.parse(SEED_README_EXAMPLE);

        assertEquals(Path.of("/var/run/sentinel/lua.sock"), config.socketPath());
        assertEquals(new ScriptConfig(Path.of("/etc/sentinel/scripts"), true, Duration.ofSeconds(5),
                Duration.ofMillis(100), 200, 1_048_576), config.scripts());
        assertEquals(new VmPoolConfig(20, Duration.ofMinutes(10), 5000), config.vmPool());
        assertEquals(new ResourceLimits(52_428_800, 10_000_000, Duration.ofMillis(200), false, false,
                10_485_760, 10_000, 200, 16, 65_536), config.limits());
        assertEquals(new SafetyConfig(true, false, 200), config.safety());
        assertEquals(2, config.workers().count());
        assertEquals(10, config.workers().vmsPerWorker());
        assertEquals(AgentConfig.defaults().admin(), config.admin());
        assertEquals("info", config.logLevel());
    }

    @Test
    void theSeedExampleWrittenOnOneLinePerBlockLoadsToo() {
        String compact = """
                socket-path "/var/run/sentinel/lua.sock"
                scripts { directory "/etc/sentinel/scripts"; hot-reload true; watch-interval 5; timeout 100; cache-size 200 }
                vm-pool { size 20; max-age 600; max-executions 5000 }
                resource-limits { max-memory 52428800 // 50MB
                  max-instructions 10000000; max-execution-time 200; allow-filesystem false; allow-network false }
                safety { fail-open true; debug-scripts false; max-concurrent 200 }
                """;

        assertEquals(ConfigLoader.parse(SEED_README_EXAMPLE), ConfigLoader.parse(compact));
    }

    @Test
    void anEmptyFileGivesTheDefaults() {
        assertEquals(AgentConfig.defaults(), ConfigLoader.parse("// nothing but a comment\n"));
        assertEquals(AgentConfig.defaults(), ConfigLoader.parse("scripts {}\nvm-pool\nworkers {\n}\n"));
    }

    @Test
    void theDefaultsAreTheDocumentedValues() {
        AgentConfig d = AgentConfig.defaults();

        assertEquals(Path.of("/tmp/sentinel-lua.sock"), d.socketPath());
        assertEquals("info", d.logLevel());
        assertEquals(new ScriptConfig(Path.of("/etc/sentinel/scripts"), false, Duration.ofSeconds(5),
                Duration.ofMillis(100), 200, 1_048_576), d.scripts());
        assertEquals(new VmPoolConfig(8, Duration.ofSeconds(600), 5000), d.vmPool());
        assertEquals(new ResourceLimits(52_428_800, 10_000_000, Duration.ofMillis(100), false, false,
                10_485_760, 10_000, 200, 16, 65_536), d.limits());
        assertEquals(new SafetyConfig(true, false, 200), d.safety());
        assertEquals(new WorkerConfig(2, 4, 67_108_864, 201_326_592, 100, 128, Duration.ofSeconds(10),
                Duration.ofMillis(250), Duration.ofSeconds(2), 0, 0, Duration.ofHours(1), 1_000_000, 0), d.workers());
        assertEquals(new AdminConfig(Path.of("/tmp/sentinel-lua-admin.sock")), d.admin());
    }

    @Test
    void everyKeyIsReadIntoItsRecord() {
        AgentConfig config = ConfigLoader.parse("""
                socket-path "/run/a.sock"
                log-level "debug"
                scripts { directory "/s"; hot-reload true; watch-interval 7; timeout 30; cache-size 9; max-body-bytes 4096 }
                vm-pool { size 6; max-age 60; max-executions 70 }
                resource-limits {
                  max-memory 1000; max-instructions 2000; max-execution-time 40; allow-filesystem false
                  allow-network false; max-string-bytes 3000; max-table-entries 400; max-call-depth 50
                  max-coroutines 0; max-ctx-bytes 600
                }
                safety { fail-open false; debug-scripts true; max-concurrent 8 }
                workers {
                  count 3; heap-bytes 33554432; memory-bytes 67108864; cpu-percent 250; pids-max 64
                  start-timeout 5000; kill-grace 0; heartbeat-interval 500; nice 7; cpu-seconds 3600
                  max-age "2h"; max-executions 123456; standby 2
                }
                admin { socket-path "/run/admin.sock" }
                """);

        assertEquals(new AgentConfig(Path.of("/run/a.sock"),
                new ScriptConfig(Path.of("/s"), true, Duration.ofSeconds(7), Duration.ofMillis(30), 9, 4096),
                new VmPoolConfig(6, Duration.ofSeconds(60), 70),
                new ResourceLimits(1000, 2000, Duration.ofMillis(40), false, false, 3000, 400, 50, 0, 600),
                new SafetyConfig(false, true, 8),
                new WorkerConfig(3, 2, 33_554_432, 67_108_864, 250, 64, Duration.ofSeconds(5), Duration.ZERO,
                        Duration.ofMillis(500), 7, 3600, Duration.ofHours(2), 123_456, 2),
                new AdminConfig(Path.of("/run/admin.sock")),
                "debug"), config);
    }

    @Test
    void durationsTakeABareNumberInTheKeysUnitOrAStringWithAUnit() {
        AgentConfig bare = ConfigLoader.parse("scripts { watch-interval 2; timeout 250 }\nvm-pool { max-age 90 }");
        AgentConfig text = ConfigLoader.parse(
                "scripts { watch-interval \"2000ms\"; timeout \"250ms\" }\nvm-pool { max-age \"90s\" }");
        AgentConfig units = ConfigLoader.parse(
                "scripts { watch-interval \"1h\" }\nvm-pool { max-age \"10m\" }\nworkers { start-timeout \"1m\" }");

        assertEquals(Duration.ofSeconds(2), bare.scripts().watchInterval());
        assertEquals(Duration.ofMillis(250), bare.scripts().timeout());
        assertEquals(Duration.ofSeconds(90), bare.vmPool().maxAge());
        assertEquals(bare, text);
        assertEquals(Duration.ofHours(1), units.scripts().watchInterval());
        assertEquals(Duration.ofMinutes(10), units.vmPool().maxAge());
        assertEquals(Duration.ofMinutes(1), units.workers().startTimeout());
    }

    @Test
    void relativePathsResolveAgainstTheDirectoryOfTheFile(@TempDir Path dir) throws IOException {
        Path configDir = Files.createDirectories(dir.resolve("dist/config"));
        Path file = Files.writeString(configDir.resolve("agent.kdl"), """
                socket-path "run/lua.sock"
                scripts { directory "../scripts" }
                admin { socket-path "./admin.sock" }
                """);

        AgentConfig config = ConfigLoader.load(file);

        Path dist = dir.toAbsolutePath().resolve("dist");
        assertEquals(dist.resolve("config/run/lua.sock"), config.socketPath());
        assertEquals(dist.resolve("scripts"), config.scripts().directory());
        assertEquals(dist.resolve("config/admin.sock"), config.admin().socketPath());
    }

    @Test
    void relativePathsInTextResolveAgainstTheGivenDirectory() {
        AgentConfig config = ConfigLoader.parse("scripts { directory \"lua/../scripts\" }", Path.of("/opt/agent"));

        assertEquals(Path.of("/opt/agent/scripts"), config.scripts().directory());
    }

    @Test
    void absolutePathsAreKeptAsWritten() {
        AgentConfig config = ConfigLoader.parse("scripts { directory \"/srv/lua\" }", Path.of("/opt/agent"));

        assertEquals(Path.of("/srv/lua"), config.scripts().directory());
    }

    @Test
    void kdlV2SyntaxIsAcceptedToo() {
        AgentConfig config = ConfigLoader.parse("""
                log-level warn
                scripts { hot-reload #true; directory #"/srv/lua"# }
                safety { fail-open #false }
                """);

        assertEquals("warn", config.logLevel());
        assertTrue(config.scripts().hotReload());
        assertEquals(Path.of("/srv/lua"), config.scripts().directory());
        assertFalse(config.safety().failOpen());
    }

    @Test
    void vmsPerWorkerIsTheCeilingOfThePoolSizeOverTheWorkerCount() {
        AgentConfig config = ConfigLoader.parse("vm-pool { size 20 }\nworkers { count 3 }");

        assertEquals(20, config.vmPool().size());
        assertEquals(7, config.workers().vmsPerWorker());
    }

    @Test
    void vmsPerWorkerGivenAloneSetsThePoolSize() {
        AgentConfig config = ConfigLoader.parse("workers { count 3; vms-per-worker 5 }");

        assertEquals(15, config.vmPool().size());
        assertEquals(5, config.workers().vmsPerWorker());
    }

    @Test
    void vmsPerWorkerAndPoolSizeMayBothBeGivenWhenTheyAgree() {
        AgentConfig config = ConfigLoader.parse("vm-pool { size 12 }\nworkers { count 4; vms-per-worker 3 }");

        assertEquals(12, config.vmPool().size());
        assertEquals(3, config.workers().vmsPerWorker());
    }

    @Test
    void aMissingFileIsReportedByName(@TempDir Path dir) {
        Path missing = dir.resolve("nope.kdl").toAbsolutePath();

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing));

        assertEquals("config file " + missing + " does not exist", e.getMessage());
    }

    @Test
    void aFileThatIsNotUtf8IsRejected(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("latin1.kdl"), "log-level \"d\u00e9bug\"".getBytes(StandardCharsets.ISO_8859_1));

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));

        assertEquals("config file " + file.toAbsolutePath() + " is not valid UTF-8", e.getMessage());
    }

    @Test
    void aFileLargerThanOneMebibyteIsRejectedWithoutReadingItAll(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("big.kdl"), "// " + "x".repeat(ConfigLoader.MAX_FILE_BYTES));

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));

        assertEquals("config file " + file.toAbsolutePath() + " is larger than 1048576 bytes", e.getMessage());
    }

    @Test
    void aSyntaxErrorNamesTheFileLineAndColumn(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("agent.kdl"), "scripts {\n    timeout 100\n");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));

        assertEquals(file.toAbsolutePath() + " is not valid KDL: 1:9: unterminated children block: '{' has no"
                + " matching '}'", e.getMessage());
        assertInstanceOf(KdlParseException.class, e.getCause());
    }

    @Test
    void aSyntaxErrorInTextSaysWhere() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("socket-path \"/x"));

        assertEquals("the configuration is not valid KDL: 1:13: unterminated string: the '\"' has no"
                + " closing '\"'", e.getMessage());
    }
}
