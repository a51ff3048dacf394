package io.zentinel.sentinel.lua.supervisor.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Unknown keys, values of the wrong type, and nodes of the wrong shape. */
class ConfigShapeTest {

    @Test
    void rejectsAnUnknownKeyNamingItAndTheKeysAllowedInItsBlock() {
        assertRejected("scripts { hot_reload true }", "unknown key scripts.hot_reload; allowed in scripts:"
                + " directory, hot-reload, watch-interval, timeout, cache-size, max-body-bytes");
    }

    @Test
    void rejectsUnknownTopLevelNodesNamingAllOfThem() {
        assertRejected("listen \"/x\"\nhot-reload true\nlisten \"/y\"", "unknown nodes listen, hot-reload;"
                + " allowed at the top level: socket-path, log-level, scripts, vm-pool, resource-limits, safety,"
                + " workers, admin");
    }

    @Test
    void listsTheKeysOfEveryBlockWhenOneIsUnknown() {
        assertRejected("vm-pool { sizes 2 }",
                "unknown key vm-pool.sizes; allowed in vm-pool: size, max-age, max-executions");
        assertRejected("resource-limits { max-heap 2 }", "unknown key resource-limits.max-heap; allowed in"
                + " resource-limits: max-memory, max-instructions, max-execution-time, allow-filesystem,"
                + " allow-network, max-string-bytes, max-table-entries, max-call-depth, max-coroutines, max-ctx-bytes");
        assertRejected("safety { fail-closed true }",
                "unknown key safety.fail-closed; allowed in safety: fail-open, debug-scripts, max-concurrent");
        assertRejected("workers { heap 2 }", "unknown key workers.heap; allowed in workers: count, vms-per-worker,"
                + " heap-bytes, memory-bytes, cpu-percent, pids-max, start-timeout, kill-grace, heartbeat-interval, nice,"
                + " cpu-seconds, max-age, max-executions, standby");
        assertRejected("admin { port 9 }", "unknown key admin.port; allowed in admin: socket-path");
    }

    @Test
    void aMisspeltKeyIsReportedRatherThanTheRangeErrorOfTheDefaultItLeftInPlace() {
        assertRejected("workers { heap-bytes 150994945; memory_bytes 300000000 }", "unknown key workers.memory_bytes;"
                + " allowed in workers: count, vms-per-worker, heap-bytes, memory-bytes, cpu-percent, pids-max,"
                + " start-timeout, kill-grace, heartbeat-interval, nice, cpu-seconds, max-age, max-executions, standby");
    }

    @Test
    void quotesUnknownNamesThatAreNotBareIdentifiers() {
        assertRejected("scripts { \"two words\" 1 }", "unknown key scripts.\"two words\"; allowed in scripts:"
                + " directory, hot-reload, watch-interval, timeout, cache-size, max-body-bytes");
    }

    @Test
    void rejectsValuesOfTheWrongType() {
        assertRejected("scripts { hot-reload \"yes\" }", "scripts.hot-reload must be a boolean (was \"yes\")");
        assertRejected("safety { fail-open 1 }", "safety.fail-open must be a boolean (was 1)");
        assertRejected("scripts { cache-size \"200\" }", "scripts.cache-size must be an integer (was \"200\")");
        assertRejected("vm-pool { max-executions 2.5 }", "vm-pool.max-executions must be an integer (was 2.5)");
        assertRejected("resource-limits { max-memory null }", "resource-limits.max-memory must be an integer (was null)");
        assertRejected("scripts { directory 5 }", "scripts.directory must be a string (was 5)");
        assertRejected("log-level true", "log-level must be a string (was true)");
    }

    @Test
    void rejectsDurationsThatAreNeitherAWholeNumberNorAStringWithAUnit() {
        assertRejected("scripts { timeout \"5 s\" }", "scripts.timeout must be a whole number of milliseconds or a"
                + " string with a unit such as \"250ms\", \"5s\", \"10m\" or \"1h\" (was \"5 s\")");
        assertRejected("scripts { watch-interval 0.5 }", "scripts.watch-interval must be a whole number of seconds"
                + " or a string with a unit such as \"250ms\", \"5s\", \"10m\" or \"1h\" (was 0.5)");
        assertRejected("vm-pool { max-age \"PT10M\" }", "vm-pool.max-age must be a whole number of seconds or a"
                + " string with a unit such as \"250ms\", \"5s\", \"10m\" or \"1h\" (was \"PT10M\")");
        assertRejected("workers { kill-grace \"-5ms\" }", "workers.kill-grace must be a whole number of milliseconds"
                + " or a string with a unit such as \"250ms\", \"5s\", \"10m\" or \"1h\" (was \"-5ms\")");
    }

    @Test
    void rejectsNumbersTooLargeForTheirKey() {
        assertRejected("vm-pool { max-executions 9223372036854775808 }",
                "vm-pool.max-executions is out of range (was 9223372036854775808)");
        assertRejected("scripts { cache-size 3000000000 }", "scripts.cache-size is out of range (was 3000000000)");
        assertRejected("scripts { timeout \"99999999999999999999h\" }",
                "scripts.timeout is out of range (was \"99999999999999999999h\")");
        assertRejected("scripts { timeout \"9999999999999999h\" }",
                "scripts.timeout is out of range (was \"9999999999999999h\")");
    }

    @Test
    void rejectsAKeyGivenTwice() {
        assertRejected("scripts { timeout 10\n timeout 20 }", "scripts.timeout must be given at most once (was given 2 times)");
        assertRejected("scripts\nscripts", "scripts must be given at most once (was given 2 times)");
    }

    @Test
    void rejectsAKeyWithoutExactlyOneValue() {
        assertRejected("scripts { timeout }", "scripts.timeout must have exactly one value (was none)");
        assertRejected("scripts { timeout 1 2 }", "scripts.timeout must have exactly one value (was 2 values: 1 2)");
    }

    @Test
    void rejectsValuesWhereAChildrenBlockIsExpected() {
        assertRejected("scripts \"/etc/sentinel/scripts\"",
                "scripts takes a children block, not values (was \"/etc/sentinel/scripts\")");
    }

    @Test
    void rejectsAChildrenBlockWhereAValueIsExpected() {
        assertRejected("scripts { directory { path \"/x\" } }", "scripts.directory takes a value, not a children block");
    }

    @Test
    void rejectsProperties() {
        assertRejected("scripts { timeout value=100 }", "scripts.timeout does not take properties (was value=100)");
        assertRejected("scripts enabled=true {}", "scripts does not take properties (was enabled=true)");
    }

    @Test
    void rejectsTypeAnnotations() {
        assertRejected("scripts { timeout (s)5 }", "scripts.timeout does not take a type annotation (was (s)5)");
        assertRejected("(block)scripts {}", "scripts does not take a type annotation (was (block))");
    }

    private static void assertRejected(String text, String message) {
        assertEquals(message, assertThrows(ConfigException.class, () -> ConfigLoader.parse(text)).getMessage());
    }
}
