package io.zentinel.sentinel.lua.supervisor.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Rules between keys, and the copy methods the command line uses. */
class ConfigCrossFieldTest {

    @Test
    void heapMustLeaveAQuarterOfTheWorkersMemoryToTheJvm() {
        assertRejected("workers { heap-bytes 150994945 }", "workers.heap-bytes (150994945) must be at most 75% of"
                + " workers.memory-bytes (201326592), which is 150994944: the JVM needs the rest for metaspace,"
                + " code and thread stacks");
        assertRejected("workers { memory-bytes 67108864 }", "workers.heap-bytes (67108864) must be at most 75% of"
                + " workers.memory-bytes (67108864), which is 50331648: the JVM needs the rest for metaspace,"
                + " code and thread stacks");
    }

    @Test
    void heapOfExactlyThreeQuartersOfTheMemoryIsAccepted() {
        assertEquals(150_994_944, ConfigLoader.parse("workers { heap-bytes 150994944 }").workers().heapBytes());
    }

    @Test
    void theThreeQuarterRuleDoesNotOverflowForHugeMemory() {
        AgentConfig config = ConfigLoader.parse("workers { heap-bytes 6917529027641081855; memory-bytes "
                + Long.MAX_VALUE + " }");

        assertEquals(6_917_529_027_641_081_855L, config.workers().heapBytes());
        assertRejected("workers { heap-bytes 6917529027641081856; memory-bytes " + Long.MAX_VALUE + " }",
                "workers.heap-bytes (6917529027641081856) must be at most 75% of workers.memory-bytes"
                        + " (9223372036854775807), which is 6917529027641081855: the JVM needs the rest for"
                        + " metaspace, code and thread stacks");
    }

    @Test
    void poolSizeAndVmsPerWorkerThatDisagreeCannotBeCombined() {
        assertRejected("vm-pool { size 20 }\nworkers { vms-per-worker 3 }", "vm-pool.size (20) cannot be combined"
                + " with workers.vms-per-worker (3) and workers.count (2): 2 workers of 3 VMs make 6 VMs; set only"
                + " one of vm-pool.size and workers.vms-per-worker, or make them agree");
        // the ceiling would give 4 per worker, but 2 × 4 is not 7
        assertRejected("vm-pool { size 7 }\nworkers { vms-per-worker 4 }", "vm-pool.size (7) cannot be combined"
                + " with workers.vms-per-worker (4) and workers.count (2): 2 workers of 4 VMs make 8 VMs; set only"
                + " one of vm-pool.size and workers.vms-per-worker, or make them agree");
    }

    @Test
    void workerCountAndVmsPerWorkerMustNotOverflowThePoolSize() {
        assertRejected("workers { count 65536; vms-per-worker 65536 }", "workers.count (65536) and"
                + " workers.vms-per-worker (65536) are out of range: together more than 2147483647 VMs");
    }

    @Test
    void aConfigBuiltInCodeMustDeriveVmsPerWorkerFromThePool() {
        AgentConfig d = AgentConfig.defaults();

        ConfigException e = assertThrows(ConfigException.class, () -> new AgentConfig(d.socketPath(), d.scripts(),
                new VmPoolConfig(20, d.vmPool().maxAge(), d.vmPool().maxExecutions()), d.limits(), d.safety(),
                d.workers(), d.admin(), d.logLevel()));

        assertEquals("workers.vms-per-worker (4) cannot be combined with vm-pool.size (20) and workers.count (2):"
                + " 20 VMs over 2 workers need 10 per worker", e.getMessage());
    }

    @Test
    void theAdminSocketCannotBeTheProxySocket() {
        assertRejected("socket-path \"/tmp/a.sock\"\nadmin { socket-path \"/tmp/./a.sock\" }",
                "admin.socket-path cannot be combined with socket-path: they name the same socket (was /tmp/a.sock)");
    }

    @Test
    void copyMethodsReplaceOneValueAndValidateAgain() {
        AgentConfig d = AgentConfig.defaults();

        assertEquals(Path.of("/run/x.sock"), d.withSocketPath(Path.of("/run/x.sock")).socketPath());
        assertEquals(Path.of("/srv/lua"), d.withScriptsDirectory(Path.of("/srv/lua")).scripts().directory());
        assertEquals("debug", d.withLogLevel("debug").logLevel());
        assertEquals(d.scripts().timeout(), d.withScriptsDirectory(Path.of("/srv/lua")).scripts().timeout());

        assertEquals("log-level must be one of trace, debug, info, warn, error (was \"loud\")",
                assertThrows(ConfigException.class, () -> d.withLogLevel("loud")).getMessage());
        assertEquals("scripts.directory must not be empty (was \"\")",
                assertThrows(ConfigException.class, () -> d.withScriptsDirectory(Path.of(""))).getMessage());
        assertEquals("admin.socket-path cannot be combined with socket-path: they name the same socket"
                        + " (was /tmp/sentinel-lua-admin.sock)",
                assertThrows(ConfigException.class,
                        () -> d.withSocketPath(Path.of("/tmp/sentinel-lua-admin.sock"))).getMessage());
    }

    private static void assertRejected(String text, String message) {
        assertEquals(message, assertThrows(ConfigException.class, () -> ConfigLoader.parse(text)).getMessage());
    }
}
