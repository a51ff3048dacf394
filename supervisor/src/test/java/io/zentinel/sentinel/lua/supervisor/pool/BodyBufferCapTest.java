package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BodyBufferCapTest {
    private static final long MIB = 1 << 20;

    @Test
    void theConfiguredCapHoldsWhereItFitsInAQuarterOfTheHeap() {
        assertEquals(new BodyBufferCap(40 * MIB, "scripts.max-body-bytes x safety.max-concurrent"),
                BodyBufferCap.of(MIB, 40, 192 * MIB));
        assertEquals(48 * MIB, BodyBufferCap.of(MIB, 48, 192 * MIB).bytes(), "exactly a quarter is still the configuration's");
    }

    @Test
    void aQuarterOfTheHeapCapsWhatTheConfigurationWouldAllow() {
        BodyBufferCap defaults = BodyBufferCap.of(MIB, 200, 192 * MIB);
        assertEquals(48 * MIB, defaults.bytes());
        assertEquals("a quarter of the supervisor's heap; a larger -Xmx in SENTINEL_LUA_JAVA_OPTS raises it",
                defaults.source());
        assertEquals(48 * MIB, BodyBufferCap.of(1L << 30, Integer.MAX_VALUE, 192 * MIB).bytes());
        assertEquals(Long.MAX_VALUE / 4, BodyBufferCap.of(Long.MAX_VALUE, 2, Long.MAX_VALUE).bytes(),
                "an overflowing product is no cap of its own");
    }

    @Test
    void aNegativeCapIsRejected() {
        assertEquals("bytes must be >= 0 (was -1)",
                assertThrows(IllegalArgumentException.class, () -> new BodyBufferCap(-1, "x")).getMessage());
    }
}
