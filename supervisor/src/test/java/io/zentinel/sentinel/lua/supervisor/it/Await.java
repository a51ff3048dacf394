package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Polls a condition of a running agent. */
final class Await {
    private Await() {
    }

    /** Returns once {@code condition} holds; fails the test, naming {@code what}, after {@code patience}. */
    static void until(String what, Duration patience, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "waited " + patience + " for " + what);
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }
}
