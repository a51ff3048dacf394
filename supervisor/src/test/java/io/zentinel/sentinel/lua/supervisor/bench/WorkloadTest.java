package io.zentinel.sentinel.lua.supervisor.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.zentinel.sentinel.lua.supervisor.proxy.AgentEvent;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkloadTest {
    private final ProxyCodec codec = new ProxyCodec();

    private AgentEvent decode(Workload.Events events, byte[] payload) {
        byte[] frame = new byte[payload.length + 1];
        frame[0] = events.type();
        System.arraycopy(payload, 0, frame, 1, payload.length);
        return codec.decodeEvent(frame);
    }

    @Test
    void bodyEventsReuseOneBufferInWhichOnlyTheIdChanges() {
        Workload workload = new Workload(Workload.Kind.REQUEST_BODY, List.of(new Workload.Request("POST", "/upload")),
                20, 65536);
        Workload.Events events = workload.events();

        byte[] first = events.next(LoadIds.id(0, 1)).clone();
        byte[] second = events.next(LoadIds.id(3, 2));

        assertEquals(first.length, second.length);
        AgentEvent.RequestBodyChunk chunk = (AgentEvent.RequestBodyChunk) decode(events, second);
        assertEquals("L03-0000000002", chunk.correlationId());
        assertArrayEquals(EventTemplate.body(65536), chunk.data());
        int differences = 0;
        for (int i = 0; i < first.length; i++) {
            differences += first[i] != second[i] ? 1 : 0;
        }
        assertEquals(2, differences); // "L00" -> "L03", "...1" -> "...2"
    }

    @Test
    void headerEventsGoThroughTheRequestMixInTurn() {
        Workload workload = new Workload(Workload.Kind.REQUEST_HEADERS, List.of(Workload.Request.parse("GET /a"),
                Workload.Request.parse("post /b?x=1")), 5, 0);
        Workload.Events events = workload.events();

        List<String> seen = Arrays.asList(new String[3]);
        for (int i = 0; i < 3; i++) {
            AgentEvent.RequestHeaders event = (AgentEvent.RequestHeaders) decode(events, events.next(LoadIds.id(0, i)));
            seen.set(i, event.method() + " " + event.uri());
        }

        assertEquals(List.of("GET /a", "POST /b?x=1", "GET /a"), seen);
    }

    @Test
    void eventBytesIsTheSizeOfOnePayload() {
        Workload body = new Workload(Workload.Kind.REQUEST_BODY, List.of(new Workload.Request("POST", "/")), 20, 65536);

        // 65536 bytes are 87384 Base64 characters, plus the members around them
        assertEquals(87384 + 118, body.eventBytes());
    }

    @Test
    void rejectsARequestThatIsNotMethodAndUri() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Workload.Request.parse("GET"));
        assertEquals("a request is \"METHOD URI\", e.g. \"GET /api/users?id=42\" (was \"GET\")", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Workload.Request.parse("GET api/users"));
    }

    @Test
    void rejectsBodiesOutsideTheProxysInspectionCap() {
        List<Workload.Request> one = List.of(new Workload.Request("POST", "/"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Workload(Workload.Kind.REQUEST_BODY, one, 20, 2 * 1024 * 1024));
        assertEquals("body bytes must be between 1 and 1048576 for body events (was 2097152)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Workload(Workload.Kind.REQUEST_HEADERS, one, 20, 10));
    }

    @Test
    void idsHaveOneLengthAndAreOrderedBySequence() {
        assertEquals("L00-0000000000", LoadIds.id(0, 0));
        assertEquals("L63-9999999999", LoadIds.id(63, 9_999_999_999L));
        assertEquals(LoadIds.LENGTH, LoadIds.id(7, 123).length());
        assertThrows(IllegalArgumentException.class, () -> LoadIds.id(100, 0));
    }

    @Test
    void aPlanNeedsAtLeastOneEventInFlightButMayHaveMoreConnections() {
        LoadGenerator.Plan plan = new LoadGenerator.Plan(java.nio.file.Path.of("/tmp/x.sock"), 4, 1,
                java.time.Duration.ZERO, java.time.Duration.ofSeconds(1), Workload.headers("GET", "/", 20));
        assertEquals(1, plan.concurrency());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LoadGenerator.Plan(
                java.nio.file.Path.of("/tmp/x.sock"), 4, 0, java.time.Duration.ZERO, java.time.Duration.ofSeconds(1),
                Workload.headers("GET", "/", 20)));
        assertEquals("concurrency must be between 1 and 10000 (was 0)", e.getMessage());
    }
}
