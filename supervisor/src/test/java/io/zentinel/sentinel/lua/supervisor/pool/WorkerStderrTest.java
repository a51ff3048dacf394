package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerStderrTest {

    private static List<String> copy(String stderr) {
        CapturingLogger log = new CapturingLogger("worker-1");
        new WorkerStderr(new ByteArrayInputStream(stderr.getBytes(StandardCharsets.UTF_8)), log).run();
        return log.lines;
    }

    @Test
    void workerLogLinesAreLoggedAgainAtTheirOwnLevel() {
        List<String> lines = copy("[WARN] io.zentinel.Lib - careful\n[INFO] sentinel.log - hello\n"
                + "[ERROR] x - bad\n[DEBUG] d - detail\n[TRACE] t - fine\n");

        assertEquals(List.of("WARN io.zentinel.Lib - careful", "INFO sentinel.log - hello", "ERROR x - bad",
                "DEBUG d - detail", "TRACE t - fine"), lines);
    }

    @Test
    void anyOtherLineIsAWarning() {
        List<String> lines = copy("[0.012s][warning][gc] GC locker\r\nException in thread \"main\" java.lang.Error\n");

        assertEquals(List.of("WARN [0.012s][warning][gc] GC locker",
                "WARN Exception in thread \"main\" java.lang.Error"), lines);
    }

    @Test
    void blankLinesAreSkippedAndAnUnterminatedLastLineIsKept() {
        assertEquals(List.of("INFO a - last words"), copy("\n  \n[INFO] a - last words"));
    }

    @Test
    void aLongLineIsCutAtTheLimit() {
        List<String> lines = copy("x".repeat(10_000) + "\n[INFO] next - line\n");

        assertEquals(List.of("WARN " + "x".repeat(8192) + " [line cut at 8192 bytes]", "INFO next - line"), lines);
    }
}
