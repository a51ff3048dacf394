package io.zentinel.sentinel.lua.supervisor.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Every range check of every key, through the loader, with its message word for word. */
class ConfigValidationTest {

    static Stream<Arguments> outOfRange() {
        return Stream.of(
                // top level
                rejected("socket-path \"\"", "socket-path must not be empty (was \"\")"),
                rejected("socket-path \"/" + "s".repeat(107) + "\"", "socket-path must be at most 107 bytes long,"
                        + " the limit of a Unix socket address (was 108 bytes: /" + "s".repeat(107) + ")"),
                rejected("log-level \"verbose\"", "log-level must be one of trace, debug, info, warn, error (was \"verbose\")"),
                rejected("log-level \"INFO\"", "log-level must be one of trace, debug, info, warn, error (was \"INFO\")"),
                // scripts
                rejected("scripts { directory \"\" }", "scripts.directory must not be empty (was \"\")"),
                rejected("scripts { watch-interval \"99ms\" }", "scripts.watch-interval must be between 100ms and 1h (was 99ms)"),
                rejected("scripts { watch-interval 3601 }", "scripts.watch-interval must be between 100ms and 1h (was 3601s)"),
                rejected("scripts { timeout 0 }", "scripts.timeout must be between 1ms and 1m (was 0s)"),
                rejected("scripts { timeout 60001 }", "scripts.timeout must be between 1ms and 1m (was 60001ms)"),
                rejected("scripts { cache-size 0 }", "scripts.cache-size must be >= 1 (was 0)"),
                rejected("scripts { max-body-bytes 0 }", "scripts.max-body-bytes must be between 1 and 1073741824 (was 0)"),
                rejected("scripts { max-body-bytes 1073741825 }",
                        "scripts.max-body-bytes must be between 1 and 1073741824 (was 1073741825)"),
                // vm-pool
                rejected("vm-pool { size 0 }", "vm-pool.size must be >= 1 (was 0)"),
                rejected("vm-pool { max-age 0 }", "vm-pool.max-age must be between 1s and 168h (was 0s)"),
                rejected("vm-pool { max-age \"169h\" }", "vm-pool.max-age must be between 1s and 168h (was 169h)"),
                rejected("vm-pool { max-executions 0 }", "vm-pool.max-executions must be >= 1 (was 0)"),
                // resource-limits
                rejected("resource-limits { max-memory 0 }", "resource-limits.max-memory must be >= 1 (was 0)"),
                rejected("resource-limits { max-instructions -1 }", "resource-limits.max-instructions must be >= 1 (was -1)"),
                rejected("resource-limits { max-execution-time 0 }",
                        "resource-limits.max-execution-time must be between 1ms and 1m (was 0s)"),
                rejected("resource-limits { max-execution-time \"2m\" }",
                        "resource-limits.max-execution-time must be between 1ms and 1m (was 2m)"),
                rejected("resource-limits { allow-filesystem true }", "resource-limits.allow-filesystem true is not"
                        + " supported: scripts never get filesystem access (was true)"),
                rejected("resource-limits { allow-network true }", "resource-limits.allow-network true is not"
                        + " supported: scripts never get network access (was true)"),
                rejected("resource-limits { max-string-bytes 0 }", "resource-limits.max-string-bytes must be >= 1 (was 0)"),
                rejected("resource-limits { max-table-entries 0 }", "resource-limits.max-table-entries must be >= 1 (was 0)"),
                rejected("resource-limits { max-call-depth 0 }", "resource-limits.max-call-depth must be >= 1 (was 0)"),
                rejected("resource-limits { max-coroutines -1 }", "resource-limits.max-coroutines must be >= 0 (was -1)"),
                rejected("resource-limits { max-ctx-bytes 0 }", "resource-limits.max-ctx-bytes must be >= 1 (was 0)"),
                // safety
                rejected("safety { max-concurrent 0 }", "safety.max-concurrent must be >= 1 (was 0)"),
                // workers
                rejected("workers { count 0 }", "workers.count must be >= 1 (was 0)"),
                rejected("workers { vms-per-worker 0 }", "workers.vms-per-worker must be >= 1 (was 0)"),
                rejected("workers { heap-bytes 16777215 }", "workers.heap-bytes must be >= 16777216 (was 16777215)"),
                rejected("workers { memory-bytes 0 }", "workers.memory-bytes must be >= 1 (was 0)"),
                rejected("workers { cpu-percent 0 }", "workers.cpu-percent must be between 1 and 6400 (was 0)"),
                rejected("workers { cpu-percent 6401 }", "workers.cpu-percent must be between 1 and 6400 (was 6401)"),
                rejected("workers { pids-max 0 }", "workers.pids-max must be >= 1 (was 0)"),
                rejected("workers { standby -1 }", "workers.standby must be between 0 and workers.count (2) (was -1)"),
                rejected("workers { count 3; standby 4 }",
                        "workers.standby must be between 0 and workers.count (3) (was 4)"),
                rejected("workers { start-timeout 0 }", "workers.start-timeout must be between 1ms and 10m (was 0s)"),
                rejected("workers { start-timeout \"11m\" }", "workers.start-timeout must be between 1ms and 10m (was 11m)"),
                rejected("workers { kill-grace -1 }", "workers.kill-grace must be between 0s and 1m (was -1ms)"),
                rejected("workers { kill-grace \"61s\" }", "workers.kill-grace must be between 0s and 1m (was 61s)"),
                rejected("workers { heartbeat-interval 99 }",
                        "workers.heartbeat-interval must be between 100ms and 1m (was 99ms)"),
                rejected("workers { heartbeat-interval \"61s\" }",
                        "workers.heartbeat-interval must be between 100ms and 1m (was 61s)"),
                rejected("workers { nice -1 }", "workers.nice must be between 0 and 19 (was -1)"),
                rejected("workers { nice 20 }", "workers.nice must be between 0 and 19 (was 20)"),
                rejected("workers { cpu-seconds -1 }",
                        "workers.cpu-seconds must be 0 (no limit) or between 1 and 100000000 (was -1)"),
                rejected("workers { cpu-seconds 100000001 }",
                        "workers.cpu-seconds must be 0 (no limit) or between 1 and 100000000 (was 100000001)"),
                rejected("workers { max-age 0 }", "workers.max-age must be between 1s and 168h (was 0s)"),
                rejected("workers { max-age \"169h\" }", "workers.max-age must be between 1s and 168h (was 169h)"),
                rejected("workers { max-executions 0 }", "workers.max-executions must be >= 1 (was 0)"),
                // admin
                rejected("admin { socket-path \"\" }", "admin.socket-path must not be empty (was \"\")"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outOfRange")
    void rejectsAValueOutOfRangeNamingTheKeyAndTheValue(String text, String message) {
        assertEquals(message, assertThrows(ConfigException.class, () -> ConfigLoader.parse(text)).getMessage());
    }

    @Test
    void acceptsTheBoundsThemselves() {
        AgentConfig config = ConfigLoader.parse("""
                scripts { watch-interval "100ms"; timeout "1m"; max-body-bytes 1073741824 }
                vm-pool { max-age "168h" }
                resource-limits { max-execution-time 1; max-coroutines 0 }
                workers { heap-bytes 16777216; cpu-percent 6400; kill-grace 0; heartbeat-interval "1m"; nice 19; cpu-seconds 1
                          max-age "168h"; max-executions 1; count 1; standby 1 }
                """);
        WorkerConfig unlimited = ConfigLoader.parse("workers { nice 0; cpu-seconds 0 }").workers();

        assertEquals(Duration.ofMillis(100), config.scripts().watchInterval());
        assertEquals(Duration.ofHours(168), config.vmPool().maxAge());
        assertEquals(Duration.ofHours(168), config.workers().maxAge());
        assertEquals(1, config.workers().maxExecutions());
        assertEquals(6400, config.workers().cpuPercent());
        assertEquals(Duration.ZERO, config.workers().killGrace());
        assertEquals(19, config.workers().nice());
        assertEquals(1, config.workers().standby());
        assertEquals(1, config.workers().cpuSeconds());
        assertTrue(config.workers().cpuLimited());
        assertEquals(0, unlimited.nice());
        assertFalse(unlimited.cpuLimited(), "0: no limit");
    }

    @Test
    void recordsBuiltInCodeRejectMissingValues() {
        assertEquals("scripts.directory must be set (was null)", assertThrows(ConfigException.class,
                () -> ScriptConfig.defaults().withDirectory(null)).getMessage());
        assertEquals("scripts.timeout must be set (was null)", assertThrows(ConfigException.class,
                () -> new ScriptConfig(Path.of("/s"), false, Duration.ofSeconds(5), null, 1, 1)).getMessage());
        assertEquals("log-level must be set (was null)", assertThrows(ConfigException.class,
                () -> AgentConfig.defaults().withLogLevel(null)).getMessage());
        assertEquals("socket-path must be set (was null)", assertThrows(ConfigException.class,
                () -> AgentConfig.defaults().withSocketPath(null)).getMessage());
    }

    private static Arguments rejected(String text, String message) {
        return Arguments.of(text, message);
    }
}
