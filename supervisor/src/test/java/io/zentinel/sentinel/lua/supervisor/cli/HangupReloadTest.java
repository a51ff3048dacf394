package io.zentinel.sentinel.lua.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HangupReloadTest {

    @Test
    void aHangupBeforeTheAgentServesReloadsOnceItDoes() throws Exception {
        HangupReload hangup = new HangupReload();
        AtomicInteger reloads = new AtomicInteger();
        CountDownLatch reloaded = new CountDownLatch(1);

        hangup.hangup();
        hangup.hangup();
        assertEquals(0, reloads.get());
        hangup.serving(() -> {
            reloads.incrementAndGet();
            reloaded.countDown();
        });

        assertTrue(reloaded.await(10, TimeUnit.SECONDS), "reloaded once the agent serves");
        Thread.sleep(200);
        assertEquals(1, reloads.get(), "two early hangups are one reload");
    }

    @Test
    void eachHangupWhileServingReloadsOnAThreadOfItsOwn() throws Exception {
        HangupReload hangup = new HangupReload();
        Semaphore reloads = new Semaphore(0);
        String[] thread = new String[1];
        hangup.serving(() -> {
            thread[0] = Thread.currentThread().getName();
            reloads.release();
        });

        hangup.hangup();
        assertTrue(reloads.tryAcquire(10, TimeUnit.SECONDS));
        hangup.hangup();
        assertTrue(reloads.tryAcquire(10, TimeUnit.SECONDS));
        assertEquals("supervisor-reload", thread[0]);
    }
}
