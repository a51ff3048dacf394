package io.zentinel.sentinel.lua.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * resource-limits.max-memory bounds the live heap a run builds, not the garbage it makes: every
 * time a run has allocated another max-memory bytes, the heap in use after the most recent
 * collection is compared with the limit.
 */
class MemoryLimitTest {

    @Test
    void garbageFromANumericLoopDoesNotHitTheMemoryLimit() {
        // 6M instructions allocate about 120 MB of boxed numbers: more than twice the default 50 MiB
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withTimes(60_000, 60_000));
        assertEquals("true", lua.text("local x = 0 for i = 1, 3e6 do x = x + i end return tostring(x == 4500001500000)"));
        long allocated = lua.sandbox.budget().allocatedBytes();
        long instructions = lua.sandbox.budget().instructions();
        System.out.printf("numeric loop: %,d instructions allocated %,d bytes (%.1f per instruction)%n",
                instructions, allocated, (double) allocated / instructions);
        assertTrue(allocated > RunLimits.defaults().maxMemoryBytes(), "allocated " + allocated);
    }

    @Test
    void garbageFromStringWorkDoesNotHitASmallMemoryLimit() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxMemoryBytes(4L * 1024 * 1024)
                .withTimes(60_000, 60_000));
        assertEquals("600000", lua.text("local n = 0 for i = 1, 2e5 do local s = ('abc'):upper() n = n + #s end return n"));
        assertTrue(lua.sandbox.budget().allocatedBytes() > 4L * 1024 * 1024);
    }

    @Test
    void theInstructionLimitStillEndsAGarbageLoop() {
        LuaRunner lua = new LuaRunner(RunLimits.defaults().withTimes(60_000, 60_000));
        lua.failure(io.zentinel.sentinel.lua.protocol.v1.FailureKind.INSTRUCTION_LIMIT,
                "local x = 0 while true do x = x + 1.5 end");
    }

    @Test
    void liveHeapAfterCollectionIsMeasured() {
        assertTrue(LiveHeap.bytesAfterLastCollection() >= 0);
    }
}
