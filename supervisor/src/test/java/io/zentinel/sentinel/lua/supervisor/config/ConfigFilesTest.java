package io.zentinel.sentinel.lua.supervisor.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The sample configurations shipped in the repository's config/ directory. */
class ConfigFilesTest {

    /** Surefire runs in the module directory; config/ is at the project root. */
    private static final Path CONFIG_DIR = Path.of("..", "config").toAbsolutePath().normalize();
    private static final Path SCRIPTS_DIR = CONFIG_DIR.resolveSibling("scripts");

    @TestFactory
    Stream<DynamicTest> everyKdlFileInTheConfigDirectoryLoads() throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(CONFIG_DIR)) {
            files = listing.filter(f -> f.toString().endsWith(".kdl")).sorted().toList();
        }
        assertTrue(files.size() >= 2, "expected agent.kdl and multi-tenant.kdl in " + CONFIG_DIR + ", found " + files);
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), file.toUri(), () -> {
            AgentConfig config = ConfigLoader.load(file);
            assertEquals(SCRIPTS_DIR, config.scripts().directory(), "the bundled scripts directory");
        }));
    }

    @Test
    void theDefaultConfigFileStatesExactlyTheBuiltInDefaults() {
        AgentConfig fromFile = ConfigLoader.load(CONFIG_DIR.resolve("agent.kdl"));

        assertEquals(AgentConfig.defaults().withScriptsDirectory(SCRIPTS_DIR), fromFile);
    }

    @Test
    void theMultiTenantExampleIsStricterThanTheDefaults() {
        AgentConfig config = ConfigLoader.load(CONFIG_DIR.resolve("multi-tenant.kdl"));
        AgentConfig defaults = AgentConfig.defaults();

        assertFalse(config.safety().failOpen());
        assertTrue(config.scripts().hotReload());
        assertTrue(config.workers().count() > defaults.workers().count());
        assertTrue(config.limits().maxMemoryBytes() < defaults.limits().maxMemoryBytes());
        assertTrue(config.limits().maxInstructions() < defaults.limits().maxInstructions());
        assertTrue(config.limits().maxExecutionTime().compareTo(defaults.limits().maxExecutionTime()) < 0);
        assertTrue(config.scripts().timeout().compareTo(config.limits().maxExecutionTime()) < 0);
        assertTrue(config.vmPool().maxExecutions() < defaults.vmPool().maxExecutions());
        assertEquals(Duration.ofMinutes(1), config.vmPool().maxAge());
        assertTrue(config.workers().maxExecutions() < defaults.workers().maxExecutions());
        assertEquals(Duration.ofMinutes(5), config.workers().maxAge());
        assertEquals(2, config.workers().vmsPerWorker());
    }
}
