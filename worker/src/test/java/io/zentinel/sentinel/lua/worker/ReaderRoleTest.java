package io.zentinel.sentinel.lua.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;

/** The worker's turn-taking on the pipe, with real threads. */
class ReaderRoleTest {
    private final ReaderRole role = new ReaderRole();

    /** Runs {@code take()} on a new thread; the future holds its answer. */
    private CompletableFuture<Boolean> takeElsewhere() {
        CompletableFuture<Boolean> taken = new CompletableFuture<>();
        Thread.ofPlatform().daemon(true).start(() -> {
            try {
                taken.complete(role.take());
            } catch (Throwable t) {
                taken.completeExceptionally(t);
            }
        });
        return taken;
    }

    private static void assertStillWaiting(CompletableFuture<Boolean> taken) {
        assertThrows(TimeoutException.class, () -> taken.get(200, TimeUnit.MILLISECONDS),
                "take() returned while the holder was reading");
    }

    @Test
    void theFirstThreadHoldsTheRoleAndKeepsItAcrossCalls() throws Exception {
        assertTrue(role.take());
        assertTrue(role.take(), "taking again is a no-op for the holder");
        role.running();
        assertTrue(role.resume());
        role.running();
        assertTrue(role.resume());
    }

    @Test
    void nobodyTakesOverWhileTheHolderReads() throws Exception {
        assertTrue(role.take());
        CompletableFuture<Boolean> other = takeElsewhere();
        assertStillWaiting(other);
        role.close();
        assertFalse(other.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aWaitingThreadTakesOverFromAHolderRunningACall() throws Exception {
        assertTrue(role.take());
        CompletableFuture<Boolean> heir = takeElsewhere();
        role.running();
        assertTrue(heir.get(5, TimeUnit.SECONDS), "the heir reads while the holder runs its call");
        assertFalse(role.resume(), "the holder lost the role during its call");
        CompletableFuture<Boolean> back = takeElsewhere();
        assertStillWaiting(back);
        role.close();
        assertFalse(back.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aSleepingHeirIsWokenByTheFirstCallAfterIdleness() throws Exception {
        assertTrue(role.take());
        CompletableFuture<Boolean> heir = takeElsewhere();
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(ReaderRole.IDLE_NANOS) * 3);
        assertFalse(heir.isDone());
        role.running();
        assertTrue(heir.get(5, TimeUnit.SECONDS));
    }

    @Test
    void everyQueuedThreadGetsATurnInTheEnd() throws Exception {
        assertTrue(role.take());
        int waiting = 4;
        CompletableFuture<?>[] turns = new CompletableFuture<?>[waiting];
        for (int i = 0; i < waiting; i++) {
            CompletableFuture<Boolean> turn = new CompletableFuture<>();
            turns[i] = turn;
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    turn.complete(role.take());
                    role.running(); // runs a call forever: the next one must take over
                } catch (Throwable t) {
                    turn.completeExceptionally(t);
                }
            });
        }
        role.running();
        CompletableFuture.allOf(turns).get(10, TimeUnit.SECONDS);
        for (CompletableFuture<?> turn : turns) {
            assertEquals(Boolean.TRUE, turn.get());
        }
    }

    @Test
    void onlyTheHolderSeesItsConditionAndNotAfterLosingTheRole() throws Exception {
        assertFalse(role.holdsAnd(() -> true), "nobody holds the role yet");
        assertTrue(role.take());
        assertTrue(role.holdsAnd(() -> true));
        assertFalse(role.holdsAnd(() -> false));
        CompletableFuture<Boolean> heirSees = new CompletableFuture<>();
        Thread.ofPlatform().daemon(true).start(() -> heirSees.complete(role.holdsAnd(() -> true)));
        assertFalse(heirSees.get(5, TimeUnit.SECONDS), "another thread does not hold it");
        CompletableFuture<Boolean> heir = takeElsewhere();
        role.running();
        assertTrue(heir.get(5, TimeUnit.SECONDS));
        assertFalse(role.holdsAnd(() -> {
            throw new AssertionError("the condition is not evaluated for a thread without the role");
        }));
        role.close();
    }

    @Test
    void closingStopsTheHolderAfterItsCall() throws Exception {
        assertTrue(role.take());
        role.running();
        role.close();
        assertFalse(role.resume());
        assertFalse(role.take());
    }
}
