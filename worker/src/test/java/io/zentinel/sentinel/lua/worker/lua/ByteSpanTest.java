package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.SupervisorMessage;
import io.zentinel.sentinel.lua.worker.WorkerLoop;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaString;

class ByteSpanTest {

    private static byte[] bytesOf(ByteSpan span) {
        return Arrays.copyOfRange(span.bytes(), span.offset(), span.offset() + span.length());
    }

    @Test
    void aFlatByteStringIsReadWhereItsBytesAre() {
        byte[] array = "..header list..".getBytes();
        ByteSpan span = ByteSpan.of(UnsafeByteOperations.unsafeWrap(array, 2, 11));

        assertSame(array, span.bytes());
        assertEquals(2, span.offset());
        assertEquals(11, span.length());
        assertEquals(LuaString.valueOf("header list"), span.lua());
    }

    @Test
    void aByteStringOfSeveralPiecesIsCopiedWhole() {
        ByteString rope = ByteString.copyFromUtf8("a".repeat(300)).concat(ByteString.copyFromUtf8("b".repeat(300)));

        ByteSpan span = ByteSpan.of(rope);

        assertArrayEquals(rope.toByteArray(), bytesOf(span));
        assertEquals(0, ByteSpan.of(ByteString.EMPTY).length());
    }

    @Test
    void theWorkersParseLeavesHeaderListsAndBodiesInTheFrame() throws Exception {
        HookCall call = TestVm.requestBody("chunk bytes", 0, true, "chunk bytes").build();
        call = call.toBuilder().setRequest(TestVm.requestHeaders("GET", "/", "host", "example.com").getRequest())
                .build();
        byte[] frame = SupervisorMessage.newBuilder().setCall(call).build().toByteArray();

        HookCall parsed = WorkerLoop.parse(frame).getCall();

        ByteSpan headers = ByteSpan.of(parsed.getRequest().getHeaderList());
        ByteSpan chunk = ByteSpan.of(parsed.getChunk().getData());
        assertSame(frame, headers.bytes(), "the header list is a view of the frame");
        assertSame(frame, chunk.bytes(), "the body chunk is a view of the frame");
        assertArrayEquals(call.getRequest().getHeaderList().toByteArray(), bytesOf(headers));
        assertEquals(LuaString.valueOf("chunk bytes"), chunk.lua());
        assertNotSame(frame, ByteSpan.of(SupervisorMessage.parseFrom(frame).getCall().getChunk().getData()).bytes(),
                "protobuf's own parse copies");
    }

    @Test
    void aSpanPastItsArrayIsRefused() {
        assertThrows(IndexOutOfBoundsException.class, () -> new ByteSpan(new byte[4], 2, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> new ByteSpan(new byte[4], -1, 1));
    }
}
