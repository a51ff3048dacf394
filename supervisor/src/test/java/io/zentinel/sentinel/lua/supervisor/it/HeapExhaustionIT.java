package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A script that fills its worker's heap before its allocation budget notices (the budget is set
 * far above the heap): the worker JVM exits with status 3 ({@code -XX:+ExitOnOutOfMemoryError}),
 * the event gets the failure mode and the log says why the worker ended. HotSpot prints its
 * "Terminating due to java.lang.OutOfMemoryError" to stdout unless told otherwise; on the pipe
 * those bytes would read as a frame length and hide the real cause behind a protocol error.
 */
class HeapExhaustionIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String HOG = """
            -- name: heap-hog
            -- hook: request_headers
            function on_request_headers(request)
              local all = {}
              for i = 1, 10000 do
                local t = {}
                for j = 1, 10000 do t[j] = string.rep("x", 1024) .. j end
                all[i] = t
              end
              return sentinel.allow()
            end
            """;

    @TempDir
    Path dir;

    @Test
    void aWorkerWhoseHeapRunsOutIsReportedAsOutOfMemoryAndReplaced() throws Exception {
        try (LogTap log = new LogTap();
             AgentHarness agent = new AgentHarness(dir).script("hog.lua", HOG)) {
            agent.start("timeout 20000", "workers { count 1; heap-bytes 16777216 }\n"
                    + "resource-limits { max-memory 1073741824; max-instructions 1000000000000; "
                    + "max-execution-time 20000 }\n"
                    + "safety { fail-open false }");
            List<Long> before = agent.readyWorkerPids();
            FakeProxy proxy = agent.connect();

            JsonNode answer = proxy.request(PacedLoad.request("hog")).get(WAIT.toSeconds(), TimeUnit.SECONDS);

            assertEquals(List.of("lua-agent:fail-closed", "lua-agent:worker-crashed"),
                    PacedLoad.failureTags(answer), answer.toString());
            Await.until("the worker's exit in the log", WAIT,
                    () -> !log.matching("worker-\\d+ - .*out of memory \\(heap\\) \\(exit 3\\)").isEmpty());
            assertEquals(List.of(), log.matching("unreadable frame on stdout|protocol error on stdout"));
            assertTrue(!log.matching("worker-\\d+ .*Terminating due to java.lang.OutOfMemoryError").isEmpty(),
                    "HotSpot's own line reaches the log through the worker's stderr");
            Await.until("a new worker", WAIT,
                    () -> agent.readyWorkerPids().size() == 1 && !agent.readyWorkerPids().equals(before));
        }
    }
}
