package io.zentinel.sentinel.lua.supervisor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class AgentLogWarningsTest {
    @Test
    void keepsTheWarnAndErrorLinesFromTheirLevelOn() {
        List<String> log = List.of(
                "2026-11-26T15:08:51.636Z [INFO] ProxyConnection - proxy-conn-1 - handshake done with zentinel-proxy 0.6.20",
                "2026-11-26T15:09:31.752Z [WARN] ProxyConnection - proxy-conn-1 - read failed, closing the connection",
                "2026-11-26T15:09:32.001Z [DEBUG] FrameOutbox - proxy-conn-1 - write failed",
                "2026-11-26T15:09:33.000Z [ERROR] WorkerHandle - worker-2 - killed (pid 7)",
                "sentinel-lua-agent: a line without a level");

        AgentLogWarnings warnings = AgentLogWarnings.fromLog("body", log);

        assertEquals("body", warnings.scenario());
        assertEquals(List.of("[WARN] ProxyConnection - proxy-conn-1 - read failed, closing the connection",
                "[ERROR] WorkerHandle - worker-2 - killed (pid 7)"), warnings.lines());
    }

    @Test
    void aQuietLogHasNone() {
        assertEquals(List.of(), AgentLogWarnings.fromLog("s", List.of("[INFO] Supervisor - supervisor - ready")).lines());
    }
}
