package io.zentinel.sentinel.lua.supervisor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class AgentProcessesTest {

    @Test
    void cpuSecondsAddUserAndSystemTimeAndOnRequestTheReapedChildren() {
        // a command name with spaces and a parenthesis, as a thread may name itself
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 700 300 20 0 30 0 100 0 0";

        assertEquals(3.0, AgentProcesses.parseCpuSeconds(stat, false), 1e-9);
        assertEquals(13.0, AgentProcesses.parseCpuSeconds(stat, true), 1e-9);
    }

    @Test
    void rssIsTheVmRssLineInKib() {
        String status = "Name:\tjava\nVmPeak:\t 3000000 kB\nVmRSS:\t  204800 kB\nRssAnon:\t 100 kB\n";

        assertEquals(204800, AgentProcesses.parseRssKb(status));
        assertEquals(-1, AgentProcesses.parseRssKb("Name:\tzombie\nState:\tZ (zombie)\n"));
    }

    @Test
    void samplesThisProcess() {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc");
        AgentProcesses self = new AgentProcesses(ProcessHandle.current().pid());

        AgentProcesses.Memory memory = self.memory();
        AgentProcesses.Cpu cpu = self.cpu();

        assertTrue(memory.available());
        assertTrue(memory.rootKb() > 1024, "a JVM has more than 1 MiB resident: " + memory.rootKb());
        assertTrue(cpu.available());
        assertTrue(cpu.seconds() > 0);
    }

    @Test
    void anUnknownProcessIsUnavailable() {
        AgentProcesses none = new AgentProcesses(-1);

        assertFalse(none.memory().available());
        assertFalse(none.cpu().available());
    }
}
