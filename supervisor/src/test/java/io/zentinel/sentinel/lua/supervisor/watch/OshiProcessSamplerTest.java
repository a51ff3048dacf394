package io.zentinel.sentinel.lua.supervisor.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.watch.ProcessSampler.ProcessSample;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The real oshi sampler on this JVM's own process (oshi takes about a second to initialise). */
class OshiProcessSamplerTest {

    @Test
    void samplesTheMemoryAndCpuOfALiveProcessAndSkipsMissingOnes() {
        OshiProcessSampler sampler = new OshiProcessSampler(Duration.ofMillis(100));
        long self = ProcessHandle.current().pid();
        long missing = Integer.MAX_VALUE - 7; // beyond pid_max: never a live process
        Map<Long, ProcessSample> first = sampler.sample(List.of(self, missing));
        ProcessSample sample = first.get(self);
        assertNotNull(sample, "own process sampled: " + first);
        assertEquals(self, sample.pid());
        assertTrue(sample.rssBytes() > 1024 * 1024, "RSS of a JVM is more than 1 MiB: " + sample.rssBytes());
        assertTrue(sample.cpuPercent() >= 0, "CPU % is never negative: " + sample.cpuPercent());
        assertFalse(first.containsKey(missing));
        // the second sample measures against the first one's reading
        ProcessSample second = sampler.sample(List.of(self)).get(self);
        assertNotNull(second);
        assertTrue(second.cpuPercent() >= 0);
    }

    @Test
    void samplesNothingForNoPids() {
        assertTrue(new OshiProcessSampler().sample(List.of()).isEmpty());
    }
}
