package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.ResponseInfo;
import io.zentinel.sentinel.lua.supervisor.pool.TransactionStore.BodyProgress;
import io.zentinel.sentinel.lua.supervisor.pool.TransactionStore.Direction;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TransactionStoreTest {
    private final AtomicLong now = new AtomicLong();
    private final RequestInfo get = RequestInfo.newBuilder().setMethod("GET").setUri("/api").build();

    private TransactionStore store(long maxBody, long maxBuffered, int maxEntries) {
        return new TransactionStore(maxBody, new BodyBufferCap(maxBuffered, "the test's cap"), Duration.ofMinutes(5),
                maxEntries, now::get);
    }

    private static ByteString bytes(String text) {
        return ByteString.copyFromUtf8(text);
    }

    private void advance(Duration duration) {
        now.addAndGet(duration.toNanos());
    }

    @Test
    void keepsRequestResponseAndCtxOfATransactionForLaterPhases() {
        TransactionStore store = store(100, 1000, 10);
        store.startTransaction("t1", get);
        store.rememberResponse("t1", ResponseInfo.newBuilder().setStatus(201).build());
        store.updateCtx("t1", ByteString.copyFromUtf8("{\"user\":\"alice\"}"));

        assertEquals(get, store.request("t1"));
        assertEquals(201, store.response("t1").getStatus());
        assertEquals("{\"user\":\"alice\"}", store.ctx("t1").toStringUtf8());
        assertEquals(RequestInfo.getDefaultInstance(), store.request("unknown"));
        assertEquals(ByteString.EMPTY, store.ctx("unknown"));
        assertEquals(1, store.size());
    }

    @Test
    void aNewRequestUnderTheSameIdStartsAFreshTransaction() {
        TransactionStore store = store(100, 1000, 10);
        store.startTransaction("t1", get);
        store.updateCtx("t1", ByteString.copyFromUtf8("{\"a\":1}"));
        store.appendBody("t1", Direction.REQUEST, bytes("half"), false);

        store.startTransaction("t1", RequestInfo.newBuilder().setMethod("POST").build());

        assertEquals("POST", store.request("t1").getMethod());
        assertEquals(ByteString.EMPTY, store.ctx("t1"));
        assertEquals(0, store.bufferedBytes());
    }

    @Test
    void chunksAreBufferedUntilTheLastOneWhichCarriesTheWholeBody() {
        TransactionStore store = store(100, 1000, 10);
        store.startTransaction("t1", get);

        BodyProgress first = store.appendBody("t1", Direction.REQUEST, bytes("ab"), false);
        assertEquals(2, store.bufferedBytes());
        BodyProgress last = store.appendBody("t1", Direction.REQUEST, bytes("cd"), true);

        assertEquals(new BodyProgress(false, 2, ByteString.EMPTY, null), first);
        assertEquals(new BodyProgress(false, 4, ByteString.copyFromUtf8("abcd"), null), last);
        assertEquals(0, store.bufferedBytes());
        assertEquals(get, store.request("t1"), "the transaction stays");
    }

    @Test
    void requestAndResponseBodiesAreBufferedSeparately() {
        TransactionStore store = store(100, 1000, 10);
        store.appendBody("t1", Direction.REQUEST, bytes("req"), false);

        BodyProgress response = store.appendBody("t1", Direction.RESPONSE, bytes("resp"), true);
        BodyProgress request = store.appendBody("t1", Direction.REQUEST, bytes("uest"), true);

        assertEquals("resp", response.body().toStringUtf8());
        assertEquals("request", request.body().toStringUtf8());
    }

    @Test
    void aBodyOverItsCapIsDroppedAndItsRemainingChunksRefused() {
        TransactionStore store = store(5, 1000, 10);
        store.appendBody("t1", Direction.REQUEST, bytes("abc"), false);

        BodyProgress over = store.appendBody("t1", Direction.REQUEST, bytes("def"), false);
        BodyProgress next = store.appendBody("t1", Direction.REQUEST, bytes("g"), false);
        BodyProgress last = store.appendBody("t1", Direction.REQUEST, bytes("h"), true);
        BodyProgress fresh = store.appendBody("t1", Direction.REQUEST, bytes("xy"), true);

        assertEquals(new BodyProgress(true, 6, ByteString.EMPTY,
                "request body (6 bytes) exceeds the maximum allowed (5, from 'scripts.max-body-bytes')"), over);
        assertEquals("request body already exceeded its cap", next.reason());
        assertTrue(last.overLimit());
        assertFalse(fresh.overLimit(), "the next body starts afresh");
        assertEquals("xy", fresh.body().toStringUtf8());
        assertEquals(0, store.bufferedBytes());
    }

    @Test
    void aSingleLastChunkOverTheCapIsRefusedWithoutRefusingTheNextBody() {
        TransactionStore store = store(5, 1000, 10);

        BodyProgress over = store.appendBody("t1", Direction.RESPONSE, bytes("too long"), true);
        BodyProgress next = store.appendBody("t1", Direction.RESPONSE, bytes("ok"), true);

        assertEquals("response body (8 bytes) exceeds the maximum allowed (5, from 'scripts.max-body-bytes')",
                over.reason());
        assertFalse(next.overLimit());
    }

    @Test
    void allBuffersTogetherAreCapped() {
        TransactionStore store = store(5, 8, 10);
        store.appendBody("t1", Direction.REQUEST, bytes("abcde"), false);

        BodyProgress over = store.appendBody("t2", Direction.REQUEST, bytes("abcd"), false);

        assertEquals("buffered bodies (9 bytes) exceed the maximum allowed (8, the test's cap)", over.reason());
        assertEquals(5, store.bufferedBytes());
        store.forget("t1");
        assertEquals(0, store.bufferedBytes());
        assertTrue(store.appendBody("t2", Direction.REQUEST, bytes("e"), false).overLimit(), "t2's body stays refused");
        assertFalse(store.appendBody("t3", Direction.REQUEST, bytes("abcd"), false).overLimit());
    }

    @Test
    void idleTransactionsExpireWhenSweptAndFreeTheirBuffers() {
        TransactionStore store = store(100, 1000, 10);
        store.startTransaction("old", get);
        store.appendBody("old", Direction.REQUEST, bytes("abc"), false);
        advance(Duration.ofMinutes(4));
        store.startTransaction("recent", get);
        advance(Duration.ofSeconds(59));
        assertEquals(0, store.sweep());

        advance(Duration.ofSeconds(1));

        assertEquals(1, store.sweep());
        assertEquals(1, store.size());
        assertEquals(RequestInfo.getDefaultInstance(), store.request("old"));
        assertEquals(get, store.request("recent"));
        assertEquals(0, store.bufferedBytes());
    }

    @Test
    void readingATransactionKeepsItAlive() {
        TransactionStore store = store(100, 1000, 10);
        store.startTransaction("t1", get);
        advance(Duration.ofMinutes(4));
        store.request("t1");
        advance(Duration.ofMinutes(4));

        assertEquals(0, store.sweep());
        assertEquals(get, store.request("t1"));
    }

    @Test
    void theLeastRecentlyUsedTenthIsEvictedWhenTheStoreIsFull() {
        TransactionStore store = store(100, 1000, 20);
        for (int i = 0; i < 20; i++) {
            store.startTransaction("t" + i, get);
            advance(Duration.ofSeconds(1));
        }
        store.request("t0"); // t0 is used again: t1 and t2 are now the oldest

        store.startTransaction("t20", get);

        assertEquals(19, store.size());
        assertEquals(2, store.evictions());
        assertEquals(get, store.request("t0"));
        assertEquals(RequestInfo.getDefaultInstance(), store.request("t1"));
        assertEquals(RequestInfo.getDefaultInstance(), store.request("t2"));
        assertEquals(get, store.request("t20"));
    }

    @Test
    void anExpiredTransactionIsGoneForReadersEvenBeforeTheSweep() {
        TransactionStore store = store(100, 1000, 10);
        store.startTransaction("t1", get);
        store.appendBody("t1", Direction.REQUEST, bytes("abc"), false);
        advance(Duration.ofMinutes(5));

        assertEquals(RequestInfo.getDefaultInstance(), store.request("t1"));
        assertEquals(0, store.size(), "the read dropped it");
        assertEquals(0, store.bufferedBytes());
        assertEquals(0, store.sweep());
    }

    @Test
    void aSweepStopsAtTheFirstLiveEntryInLeastRecentlyUsedOrder() {
        TransactionStore store = store(100, 1000, 10);
        store.startTransaction("a", get);
        advance(Duration.ofMinutes(1));
        store.startTransaction("b", get);
        advance(Duration.ofMinutes(1));
        store.updateCtx("a", ByteString.copyFromUtf8("{}")); // a is now the most recently used
        advance(Duration.ofMinutes(4));

        assertEquals(1, store.sweep(), "b, idle for 5 minutes");
        assertEquals(get, store.request("a"));
        assertEquals(RequestInfo.getDefaultInstance(), store.request("b"));
    }

    @Test
    void aFullStoreStaysAtItsCapByEvictingTheOldestTenthAtATime() {
        TransactionStore store = store(100, 1000, 100);
        for (int i = 0; i < 250; i++) {
            store.startTransaction("t" + i, get);
            advance(Duration.ofMillis(1));
        }

        assertEquals(100, store.size());
        assertEquals(150, store.evictions());
        assertEquals(RequestInfo.getDefaultInstance(), store.request("t149"));
        assertEquals(get, store.request("t150"));
        assertEquals(get, store.request("t249"));
    }

    @Test
    void theSweepIntervalIsAFifthOfTheIdleTimeout() {
        assertEquals(Duration.ofMinutes(1), store(1, 1, 1).sweepInterval());
        assertEquals(Duration.ofSeconds(1), new TransactionStore(1, new BodyBufferCap(1, "cap"), Duration.ofSeconds(2), 1,
                System::nanoTime)
                .sweepInterval());
        assertEquals(TimeUnit.MINUTES.toNanos(5), TransactionStore.DEFAULT_IDLE_TIMEOUT.toNanos());
    }
}
