package io.zentinel.sentinel.lua.protocol.frame;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlushBatchTest {
    private final List<String> flushed = new ArrayList<>();
    private final Runnable a = () -> flushed.add("a");
    private final Runnable b = () -> flushed.add("b");

    @Test
    void withoutAnOpenBatchNothingIsHeld() {
        assertFalse(FlushBatch.hold(a));
        FlushBatch.flushCurrent();
        assertEquals(List.of(), flushed);
    }

    @Test
    void holdsEachFlushOnceAndRunsThemInOrderWhenAsked() {
        try (FlushBatch batch = FlushBatch.open()) {
            assertTrue(FlushBatch.hold(b));
            assertTrue(FlushBatch.hold(a));
            assertTrue(FlushBatch.hold(b));
            assertEquals(List.of(), flushed, "nothing runs while held");

            batch.flushHeld();
            assertEquals(List.of("b", "a"), flushed);

            batch.flushHeld();
            assertEquals(List.of("b", "a"), flushed, "a flush runs once per hold");
        }
    }

    @Test
    void flushCurrentRunsTheHeldFlushesOfThisThreadsBatch() {
        try (FlushBatch ignored = FlushBatch.open()) {
            FlushBatch.hold(a);
            FlushBatch.flushCurrent();
            assertEquals(List.of("a"), flushed);
        }
    }

    @Test
    void closingRunsWhatIsHeldAndEndsTheBatch() {
        try (FlushBatch ignored = FlushBatch.open()) {
            FlushBatch.hold(a);
        }
        assertEquals(List.of("a"), flushed);
        assertFalse(FlushBatch.hold(b), "closed: writes flush at once again");
    }

    @Test
    void aBatchBelongsToTheThreadThatOpenedIt() throws InterruptedException {
        AtomicBoolean heldElsewhere = new AtomicBoolean(true);
        try (FlushBatch ignored = FlushBatch.open()) {
            Thread other = Thread.ofPlatform().start(() -> heldElsewhere.set(FlushBatch.hold(a)));
            other.join();
        }
        assertFalse(heldElsewhere.get());
        assertEquals(List.of(), flushed);
    }

    @Test
    void refusesASecondBatchOnTheSameThread() {
        try (FlushBatch ignored = FlushBatch.open()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, FlushBatch::open);
            assertTrue(e.getMessage().startsWith("a flush batch is already open on "), e.getMessage());
        }
    }

    @Test
    void aFailingFlushDoesNotKeepTheOthersFromRunning() {
        IllegalStateException first = new IllegalStateException("first");
        IllegalStateException second = new IllegalStateException("second");
        try (FlushBatch batch = FlushBatch.open()) {
            FlushBatch.hold(() -> {
                throw first;
            });
            FlushBatch.hold(a);
            FlushBatch.hold(() -> {
                throw second;
            });

            IllegalStateException e = assertThrows(IllegalStateException.class, batch::flushHeld);

            assertSame(first, e);
            assertSame(second, e.getSuppressed()[0]);
            assertEquals(List.of("a"), flushed);
            batch.flushHeld(); // nothing held any more
        }
    }
}
